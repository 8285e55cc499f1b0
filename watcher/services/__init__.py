"""The service layer: what the command line, the daemon and the web console do, as functions.

Each function takes a Config and/or a Store (and `now` where time matters) and returns typed
records; none prints, parses arguments or knows about HTTP. The command line and the web
console call the same functions, so neither holds orchestration of its own. Modules import
their heavy dependencies inside the functions that need them, so a caller pays only for what
it uses (the command line starts fast).
"""
