// Light/dark mode of the served page. The choice is remembered per browser
// (localStorage "theme", as the original daggr did); the first visit follows the OS.
// Gradio themes key their dark values on the `dark` class; the canvas reads
// `data-jp-theme-light` on <body>, the attribute JupyterLab sets, so it needs no change.
(function () {
  const KEY = "theme";
  const button = document.getElementById("daggr-theme-toggle");

  function stored() {
    try {
      return localStorage.getItem(KEY);
    } catch (_err) {
      return null; // storage can be blocked (private mode, sandboxed iframes)
    }
  }

  function apply(mode) {
    const dark = mode === "dark";
    document.documentElement.classList.toggle("dark", dark);
    document.body.classList.toggle("dark", dark);
    document.body.dataset.jpThemeLight = dark ? "false" : "true";
    document.body.dataset.daggrTheme = mode;
    if (button) {
      button.textContent = dark ? "☀" : "☾";
      const next = dark ? "light" : "dark";
      button.title = `Switch to ${next} mode`;
      button.setAttribute("aria-label", button.title);
    }
  }

  const prefersDark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  const first = stored();
  apply(first === "dark" || first === "light" ? first : prefersDark ? "dark" : "light");

  if (button) {
    button.addEventListener("click", () => {
      const next = document.body.dataset.daggrTheme === "dark" ? "light" : "dark";
      apply(next);
      try {
        localStorage.setItem(KEY, next);
      } catch (_err) {
        // not remembered; the page still switches
      }
    });
  }
})();
