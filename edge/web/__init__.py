"""The kiosk page that `dancepose run` serves: state, events and the camera preview.

state.py   what the page shows (GET /api/state) and every event as it happens (SSE)
preview.py camera frames with the skeleton, JPEG-encoded off the loop thread (MJPEG)
server.py  the HTTP server (stdlib ThreadingHTTPServer): routes, access token, commands
static/    the page itself: HTML, CSS and JS, no CDN (docs/http.md)
"""
