"""MQTT out of the kiosk: topic names and payloads, commands in, a durable event queue.

    topics.py         the topic API under <prefix>/<device_id>/ and one builder per payload
    commands.py       parse and validate what arrives on cmd (untrusted bytes)
    queue.py          SQLite store-and-forward queue: events survive a dead broker and a reboot
    settings.py       MqttSettings (broker, TLS, user; password from env or file only)
    publisher.py      paho-mqtt client (MQTT 5): LWT, backoff, QoS 1 pump that deletes rows on
                      PUBACK, retained status and current state, commands
    homeassistant.py  optional Home Assistant MQTT discovery configs (or their removal)
    bridge.py         the mosquitto bridge of a kiosk's broker to a fleet's central one

docs/mqtt.md is the contract for subscribers; docs/schemas/ holds its JSON Schemas.
"""
