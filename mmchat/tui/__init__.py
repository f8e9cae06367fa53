"""The Textual app. Import :func:`mmchat.tui.app.make_app` to build it."""
