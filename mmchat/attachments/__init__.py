"""Attachments: files the user adds to a message (``mmchat ask -a``, alt+a in the app).

- :mod:`mmchat.attachments.files` — reading a file or stdin into an
  :class:`~mmchat.api.Attachment`: images recognised by their bytes, text decoded,
  anything else refused, the size limits;
- :mod:`mmchat.attachments.wire` — what a model gets: a text file as a fenced block
  under its name, an image as base64;
- :mod:`mmchat.attachments.vision` — which models of a preset take images, checked
  before any request goes out;
- :mod:`mmchat.attachments.lanes` — the user's files on every lane's messages, and
  none of the images for a model that takes none.

The modules are imported one by one (nothing is re-exported here): a provider that
only needs the fenced blocks does not load the file reading.
"""
