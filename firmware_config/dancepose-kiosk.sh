#!/bin/sh
# The kiosk screen: Chromium full screen on the page `dancepose run` serves ([web] in
# /etc/dancepose/dancepose.toml). Started by the Pi's desktop session at login through
# /etc/xdg/autostart/dancepose-kiosk.desktop (see the README's Pi install).
#
# Install: sudo install -m 0755 firmware_config/dancepose-kiosk.sh /usr/local/bin/dancepose-kiosk
# DANCEPOSE_URL overrides the page (default the [web] default, http://127.0.0.1:8080/);
# with a token: DANCEPOSE_URL="http://127.0.0.1:8080/?token=..." in ~/.config/dancepose-kiosk.env
set -eu
[ -r "$HOME/.config/dancepose-kiosk.env" ] && . "$HOME/.config/dancepose-kiosk.env"
URL="${DANCEPOSE_URL:-http://127.0.0.1:8080/}"
BROWSER="$(command -v chromium-browser || command -v chromium)"
# Wait for the service (model loading takes a while after boot): Chromium would show an
# error page instead, which does not retry by itself. The page itself reconnects later.
until curl -fs -o /dev/null "${URL%%\?*}api/state${URL#"${URL%%\?*}"}"; do sleep 2; done
# --autoplay-policy: a routine's music starts with the round, with nobody touching the screen.
exec "$BROWSER" --kiosk --noerrdialogs --disable-infobars --no-first-run \
  --autoplay-policy=no-user-gesture-required \
  --disable-session-crashed-bubble --password-store=basic --incognito \
  --check-for-update-interval=31536000 "$URL"
