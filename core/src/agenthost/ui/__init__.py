"""The built-in web UI: static HTML, CSS and ES modules served at ``/ui`` by the ``ui``
frontend (``agenthost.builtin.ui``). Every data call the page makes goes to the native API."""
