"""Presentation helpers shared by the office pages (`web`), the phone pages (`field`) and the
dispatch board: clocks as pages show them, links drawn only where the viewer may go. No
models; nothing here imports from a page app."""
