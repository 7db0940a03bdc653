"""The execution engine: it runs plans of a graph and knows nothing of views or storage."""
