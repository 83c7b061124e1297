-- proxmox.lua: the default policy for Proxmox VE panels.
--
-- The hoster sees what it needs to find and preserve one VPS: ids, node,
-- status, resources, interfaces with MACs and addresses, disks with their
-- storage and volume. Secrets are never shown. Customer identity (owner,
-- names, hostnames, descriptions, tags, pools) is commercially sensitive:
-- it is committed, so the hoster sees a digest it cannot read and the
-- reseller can open it later (sightline disclose); the owner also gets a
-- pseudonym (owner_ps), so the hoster sees which VPSes share an owner.
--
-- Anything this file does not name is dropped. A rule is "keep", "drop",
-- "commit", "pseudonym", { "commit", "pseudonym" }, a table of rules for
-- the fields of an object (applied to each element of a list), or a
-- function(value, path) returning "keep" or "drop" and, optionally, a new
-- value. ["*"] names every field not named otherwise.
-- See sightline.conf(5), POLICIES.

local keep, drop, commit = "keep", "drop", "commit"
local commit_ps = { "commit", "pseudonym" }

-- Keys that exist numbered: net0, net1, ... Proxmox adds them as needed.
local function numbered(t, prefix, count, rule)
  for i = 0, count - 1 do t[prefix .. i] = rule end
  return t
end

-- Guest config fields shared by QEMU and LXC that the hoster may see.
local function guest_config(extra)
  local c = {
    vmid = keep, digest = keep, cores = keep, memory = keep, onboot = keep,
    ostype = keep, nameserver = keep, searchdomain = keep, lock = keep,
    template = keep, protection = keep, startup = keep, arch = keep,
    -- customer identity: committed; secrets: named here to say so
    name = commit, hostname = commit, description = commit, tags = commit,
    cipassword = drop, sshkeys = drop, ciuser = drop, cicustom = drop,
    args = drop, hookscript = drop,
  }
  for k, v in pairs(extra) do c[k] = v end
  return c
end

local qemu_config = guest_config {
  sockets = keep, vcpus = keep, cpu = keep, cpulimit = keep, cpuunits = keep,
  balloon = keep, numa = keep, agent = keep, boot = keep, bios = keep,
  machine = keep, scsihw = keep, kvm = keep, vga = keep, meta = keep,
  smbios1 = keep, vmgenid = keep, efidisk0 = keep, tpmstate0 = keep,
  hotplug = keep, tablet = keep,
}
numbered(qemu_config, "net", 32, keep)
numbered(qemu_config, "ipconfig", 32, keep)
numbered(qemu_config, "scsi", 31, keep)
numbered(qemu_config, "virtio", 16, keep)
numbered(qemu_config, "sata", 6, keep)
numbered(qemu_config, "ide", 4, keep)
numbered(qemu_config, "unused", 256, keep)

local lxc_config = guest_config {
  swap = keep, rootfs = keep, features = keep, unprivileged = keep,
  cpulimit = keep, cpuunits = keep, cmode = keep, console = keep, tty = keep,
}
numbered(lxc_config, "net", 32, keep)
numbered(lxc_config, "mp", 256, keep)
numbered(lxc_config, "unused", 256, keep)

-- Usage counters of a guest, as lists and status calls give them.
local function guest_status(extra)
  local s = {
    vmid = keep, status = keep, type = keep, cpu = keep, cpus = keep,
    maxcpu = keep, mem = keep, maxmem = keep, disk = keep, maxdisk = keep,
    swap = keep, maxswap = keep, netin = keep, netout = keep,
    diskread = keep, diskwrite = keep, uptime = keep, pid = keep,
    lock = keep, template = keep, qmpstatus = keep, node = keep, id = keep,
    ["running-machine"] = keep, ["running-qemu"] = keep, agent = keep,
    ha = { managed = keep, state = keep, group = keep },
    nics = { ["*"] = { netin = keep, netout = keep } },
    name = commit, tags = commit, pool = commit,
  }
  for k, v in pairs(extra or {}) do s[k] = v end
  return s
end

local storage = {
  storage = keep, type = keep, content = keep, active = keep, enabled = keep,
  shared = keep, total = keep, used = keep, avail = keep,
  used_fraction = keep,
}

local address = {
  ["ip-address"] = keep, ["ip-address-type"] = keep, prefix = keep,
}

return {
  version = 1,
  description = "Proxmox VE default: keep what the hoster needs, drop secrets, commit customer identity",

  -- The normalized record (schema v1) behind /v1/vps and /v1/lookup.
  record = {
    id = keep, panel = keep, native_id = keep, kind = keep, node = keep,
    status = keep, created = keep, cpu = keep, memory_mb = keep,
    disk_gb = keep, bandwidth_gb = keep, uuid = keep,
    interfaces = { mac = keep, ips = keep, bridge = keep, vlan = keep },
    disks = { storage = keep, volume = keep, size_gb = keep },
    owner = commit_ps, hostname = commit, name = commit, notes = commit,
    tags = commit,
  },

  -- Hypervisor nodes behind /v1/nodes.
  node = {
    id = keep, panel = keep, name = keep, status = keep, cpu = keep,
    memory_mb = keep, disk_gb = keep, vps_count = keep,
    ssl_fingerprint = keep,
  },

  -- Native calls, keyed by the plugin's allow-listed endpoints.
  native = {
    ["/version"] = { data = { version = keep, release = keep, repoid = keep } },
    ["/cluster/resources"] = { data = guest_status {
      storage = keep, plugintype = keep, content = keep, shared = keep,
      level = keep, hastate = keep, ["cgroup-mode"] = keep,
      ssl_fingerprint = keep,
    } },
    ["/cluster/status"] = { data = {
      id = keep, type = keep, name = keep, nodes = keep, quorate = keep,
      version = keep, ip = keep, online = keep, ["local"] = keep,
      nodeid = keep, level = keep,
    } },
    ["/nodes"] = { data = {
      node = keep, id = keep, type = keep, status = keep, level = keep,
      cpu = keep, maxcpu = keep, mem = keep, maxmem = keep, disk = keep,
      maxdisk = keep, uptime = keep, ssl_fingerprint = keep,
    } },
    ["/nodes/{node}/status"] = { data = {
      uptime = keep, cpu = keep, wait = keep, idle = keep, loadavg = keep,
      kversion = keep, pveversion = keep, cpuinfo = keep, memory = keep,
      swap = keep, rootfs = keep, ksm = keep, ["boot-info"] = keep,
      ["current-kernel"] = keep,
    } },
    ["/nodes/{node}/qemu"] = { data = guest_status() },
    ["/nodes/{node}/lxc"] = { data = guest_status() },
    ["/nodes/{node}/qemu/{vmid}/config"] = { data = qemu_config },
    ["/nodes/{node}/qemu/{vmid}/status/current"] = { data = guest_status() },
    ["/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"] = {
      data = { result = {
        name = keep, ["hardware-address"] = keep,
        ["ip-addresses"] = address, statistics = keep,
      } },
    },
    ["/nodes/{node}/lxc/{vmid}/config"] = { data = lxc_config },
    ["/nodes/{node}/lxc/{vmid}/status/current"] = { data = guest_status() },
    ["/nodes/{node}/lxc/{vmid}/interfaces"] = { data = {
      name = keep, hwaddr = keep, ["hardware-address"] = keep, inet = keep,
      inet6 = keep, ["ip-addresses"] = address,
    } },
    ["/nodes/{node}/storage"] = { data = storage },
    ["/nodes/{node}/storage/{storage}/status"] = { data = storage },
  },
}
