#!/usr/bin/python3
"""SolusVM 2 through the real daemon: tests/emu/solusvm2_emu.py over TLS,
sightlined, real clients. The checks are tests/lib/rest_panel.py's, shared
with VirtFusion; this file says what SolusVM 2 holds."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rest_panel import Panel, run  # noqa: E402

run(Panel(
    plugin="solusvm2", name="svm2", token="svm2-test-token-0123456789abcdef",
    gen=40,     # 43 servers: three pages of 15
    alice=(501, ["203.0.113.51/24", "2001:db8:300:51::1/64"], "52:54:00:3a:01:f5", "hv01"),
    bob=(502, ["198.51.100.61/24", "198.51.100.62/24"], "52:54:00:3a:01:f6", "hv02"),
    carol=(503, ["203.0.113.52/24"], "52:54:00:3a:01:f7", "hv01"),
    native_ok=[
        ("/servers/502", ["52:54:00:3a:01:f6", "198.51.100.61"],
         ["vnc_password", "9fQ2wLx7", "bob@", "billing_token", "KVM 4G", "per_month"]),
        ("/servers?page=2&per_page=2", ["\"current_page\":2", "203.0.113.52"],
         ["ssh-ed25519", "alice@", "cp.example.com"]),
        ("/servers?filter%5Bstatus%5D=stopped", ["\"total\":", "stopped"], ["started\""]),
        ("/servers/1000/disks", ["vg-solus/vm-1000-disk-0"], ["credentials"]),
        ("/compute_resources", ["hv01", "192.0.2.31"], []),
        ("/compute_resources/2", ["hv02"], []),
        ("/ip_blocks", ["AMS-v4-a"], []),
        ("/locations", ["Amsterdam"], []),
    ],
    refused=[("GET", "/servers/501/vnc_up"), ("GET", "/api_tokens"), ("GET", "/users"),
             ("GET", "/users/12"), ("GET", "/servers/501/vnc"), ("GET", "/projects"),
             ("POST", "/servers/501/start"), ("POST", "/servers/501/stop"),
             ("POST", "/servers/501/reinstall"), ("DELETE", "/servers/501"),
             ("PUT", "/servers/501"), ("PATCH", "/servers/501"), ("POST", "/servers")],
    list_re="^/api/v1/servers\\?", detail_re="^/api/v1/servers/502/disks",
    leaks=["9fQ2wLx7", "AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE"],
))
