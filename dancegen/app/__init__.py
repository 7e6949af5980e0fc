"""``dancegen serve``: a local web page where a person drops a music file, sets the options, waits
for the dance and then watches it in the HTML player (:mod:`dancegen.render.html`) and downloads
it (mp4, npz, BVH, OpenPose JSON). FastAPI + uvicorn and one plain HTML page: every file the page
uses is served by the app itself, so it works with no network. See :mod:`.server` and docs/player.md.
"""
