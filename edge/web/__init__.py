"""The kiosk page that `dancepose run` serves: events, the camera preview, the page.

What the page shows is the device's state (edge/app/state.py), rendered by the loop.
stream.py  every event as it happens, and the page's whole state after each (SSE)
preview.py camera frames with the skeleton, JPEG-encoded off the loop thread (MJPEG)
server.py  the HTTP server (stdlib ThreadingHTTPServer): routes, access token, commands
static/    the page itself: HTML, CSS and JS, no CDN (docs/http.md)
"""
