"""The web console (Starlette). `links` is pure and imported by the renderer of alerts too;
the rest loads only when a console is served."""
