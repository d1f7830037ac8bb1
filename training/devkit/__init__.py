"""Workstation tools around the device program, never installed on a Pi for its own use.

broker.py    a private mosquitto on a free loopback port (`make demo`, the tests, `make bench`)
demo.py      `make demo`: the whole loop on a real clip and a subscriber's view of it
pi_check.py  `make pi-check`: the Pi install and a real cut in an arm64 chroot, vs x86
pi_chroot.py the cached arm64 Debian chroot (debootstrap, qemu) pi_check runs in
"""
