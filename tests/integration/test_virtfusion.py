#!/usr/bin/python3
"""VirtFusion through the real daemon: tests/emu/virtfusion_emu.py over TLS,
sightlined, real clients. The checks are tests/lib/rest_panel.py's, shared
with SolusVM 2; this file says what VirtFusion holds."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rest_panel import Panel, run  # noqa: E402

run(Panel(
    plugin="virtfusion", name="vf", token="vf-test-token-0123456789abcdef",
    gen=240,    # 243 servers: two pages of 200
    alice=(301, ["203.0.113.81/24", "2001:db8:500:301::1/64"], "52:54:00:7e:30:29", "hv01"),
    bob=(302, ["198.51.100.81/24", "2001:db8:500:302::1/64"], "52:54:00:7e:30:2a", "hv02"),
    carol=(303, ["203.0.113.82/24"], "52:54:00:7e:30:2b", "hv01"),
    native_ok=[
        ("/servers/302", ["52:54:00:7e:30:2a", "198.51.100.81", "br0"],
         ["encryptedPassword", "eyJpdiI6", "bob@", "sshKeys", "Bob Shopkeeper"]),
        ("/servers?results=2&page=2", ["\"current_page\":2", "\"total\":243"],
         ["web01-alice", "cp.example.com"]),
        ("/servers/1000/traffic", ["1846211"], []),
        ("/compute/hypervisors?results=200", ["hv01", "192.0.2.41"], ["encryptedToken"]),
        ("/compute/hypervisors/1", ["hv01"], ["encryptedToken"]),
        ("/compute/hypervisors/groups", ["Amsterdam"], []),
    ],
    refused=[("GET", "/servers/302/vnc"), ("POST", "/servers/302/vnc"),
             ("GET", "/servers/302/vnc?x=1"), ("POST", "/servers/302/power/boot"),
             ("POST", "/servers/302/suspend"), ("POST", "/servers/302/resetPassword"),
             ("DELETE", "/servers/302"), ("PUT", "/servers/302/modify/name"),
             ("GET", "/servers/302/resetPassword"), ("GET", "/users/22"),
             ("GET", "/servers/302?remoteState=1")],
    list_re="^/api/v1/servers\\?", detail_re="^/api/v1/servers/302\\?",
    leaks=["eyJpdiI6IkVYQU1QTEUiLCJ2YWx1ZSI6Ik5PVFJFQUwifQ", "AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE",
           "eyJpdiI6IkVYQU1QTEUiLCJ2YWx1ZSI6IkhWMVRPS0VOIn0"],
))
