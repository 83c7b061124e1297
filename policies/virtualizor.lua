-- virtualizor.lua: the default policy for Virtualizor panels.
--
-- The hoster sees what it needs to find and preserve one VPS: ids, node,
-- status, resources, its MAC and addresses, its disks with their storage
-- and path on the node. Secrets are never shown: the plugin removes VNC
-- passwords, password hashes and the like before any policy runs, and
-- this file drops them again by name. Customer identity (owner e-mail and
-- uid, hostnames, notes, tags, suspend reasons) is commercially sensitive:
-- it is committed, so the hoster sees digests (and the owner's pseudonym,
-- owner_ps) and the reseller can open them later (sightline disclose).
-- Plans and prices are dropped.
--
-- Anything this file does not name is dropped. A rule is "keep", "drop",
-- a table of rules for the fields of an object (applied to each element
-- of a list), or a function(value, path) returning an action and,
-- optionally, a new value. ["*"] names every field not named otherwise.
-- See sightline.conf(5), POLICIES and VIRTUALIZOR PANELS.

local keep, drop = "keep", "drop"
local commit = "commit"
local commit_ps = { "commit", "pseudonym" }

local function merge(...)
  local t = {}
  for _, part in ipairs({ ... }) do
    for k, v in pairs(part) do t[k] = v end
  end
  return t
end

-- A map keyed by id ({"1001": {...}}). PHP writes it as [] when empty,
-- and as a list when its ids happen to be 0, 1, ...: this rule fits all
-- three, since a table rule applies to each element of a list, and here
-- each id falls under ["*"].
local function by_id(fields)
  return { ["*"] = fields }
end

-- A map that is a list more often than not (servers keyed by serid 0,
-- 1, ...): the fields themselves for the list, ["*"] for the object.
local function list_or_map(fields)
  return merge(fields, { ["*"] = fields })
end

-- The envelope of every admin API answer.
local envelope = { title = keep, timenow = keep, time_taken = keep }

-- One VPS, as act=vs lists it and act=managevps shows it.
local disk = {
  did = keep, disk_uuid = keep, st_uuid = keep, vps_uuid = keep,
  path = keep, primary = keep, size = keep, size_unit = keep, type = keep,
  format = keep, num = keep, rescue = keep, extra = keep,
  bus_driver = keep, bus_driver_num = keep, mnt_point = keep, stid = keep,
  vpsid = keep,
  -- user-chosen names and the owner: identity
  disk_name = commit, project_name = commit, user_uid = commit,
}

local vps = {
  vpsid = keep, vps_name = keep, uuid = keep, serid = keep,
  server_name = keep, time = keep, edittime = keep, virt = keep,
  osid = keep, os_name = keep, os_distro = keep, iso = keep,
  sec_iso = keep, boot = keep, space = keep, inodes = keep, ram = keep,
  burst = keep, swap = keep, cpu = keep, cores = keep, cpupin = keep,
  cpu_percent = keep, bandwidth = keep, used_bandwidth = keep,
  network_speed = keep, upload_speed = keep, io = keep,
  total_iops_sec = keep, read_bytes_sec = keep, write_bytes_sec = keep,
  -- PHP-serialized strings: passed on as opaque text, never parsed
  ubc = keep, dns_nameserver = keep, cached_disk = keep,
  acpi = keep, apic = keep, pae = keep, shadow = keep, hvm = keep,
  virtio = keep, pv_on_hvm = keep, tuntap = keep, ppp = keep,
  ploop = keep, webuzo = keep, rdp = keep, numa = keep, routing = keep,
  disable_ebtables = keep, install_xentools = keep, admin_managed = keep,
  disable_nw_config = keep, vnc = keep, vncport = keep, vnc_keymap = keep,
  suspended = keep, band_suspend = keep, nw_suspended = keep,
  rescue = keep, osreinstall_limit = keep, mg = keep, speed_cap = keep,
  openvz_features = keep, timezone = keep, usbdevice = keep,
  nic_type = keep, vif_type = keep, kvm_cache = keep, io_mode = keep,
  cpu_mode = keep, kvm_vga = keep, acceleration = keep,
  topology_sockets = keep, topology_cores = keep, topology_threads = keep,
  mac = keep, ips = keep, bserid = keep, ha = keep, load_balancer = keep,
  fwid = keep, admin_fwid = keep, machine_status = keep, stid = keep,
  current_resource = keep, type = keep,
  disks = disk,
  data = {
    os_type = keep, rtc = keep, vnc_auto_port = keep, nested_virt = keep,
    discard = keep, vlan_tag = keep, enable_guest_agent = keep,
    machine_type = keep, bios = keep, enable_tpm = keep,
    -- secrets: removed by the plugin already
    crypted_pass = drop, crypted_salt = drop, disable_password = drop,
    ssh_options = drop, added_keys = drop,
  },
  -- secrets
  vnc_passwd = drop,
  -- customer identity
  uid = commit, email = commit, pid = commit, hostname = commit,
  notes = commit, tags = commit, suspend_reason = commit, locked = commit,
  preferences = drop,
  -- plans and prices
  plid = drop, bpid = drop, plan_expiry = drop,
}

-- A hypervisor node, as act=vs lists it (a subset) and act=servers does.
local server = {
  serid = keep, sgid = keep, server_name = keep, virt = keep, ip = keep,
  internal_ip = keep, vnc_ip = keep, lv = keep, hvm = keep,
  total_ram = keep, ram = keep, total_space = keep, space = keep,
  overcommit = keep, os = keep, os_arch = keep, uname = keep,
  version = keep, patch = keep, vcores = keep, ips = keep, ipv6 = keep,
  ipv6_subnet = keep, ips_int = keep, bandwidth = keep, location = keep,
  status = keep, locked = keep, numvps = keep, alloc_ram = keep,
  alloc_space = keep, alloc_cpu = keep, alloc_cpu_percent = keep,
  alloc_bandwidth = keep, virts = keep,
  -- licence terms, and opaque or internal state
  licnumvs = drop, lic_expires = drop, settings = drop, unique_txt = drop,
  checked = drop, update_resource = drop, last_reverse_sync = drop,
  ha_master = drop,
}

local ip = {
  ipid = keep, ippid = keep, ip_serid = keep, vpsid = keep, ip = keep,
  ipv6 = keep, ipr_netmask = keep, primary = keep, mac_addr = keep,
  locked = keep, ippool_name = keep, gateway = keep, netmask = keep,
  ns1 = keep, ns2 = keep, nat = keep, nat_name = keep, routing = keep,
  internal = keep, bridge = keep, mtu = keep, vlan = keep,
  -- identity
  note = commit, hostname = commit,
}

local ippool = {
  ippid = keep, ippool_name = keep, ipp_serid = keep, gateway = keep,
  netmask = keep, ns1 = keep, ns2 = keep, ipv6 = keep, nat = keep,
  routing = keep, internal = keep, bridge = keep, mtu = keep, vlan = keep,
  totalip = keep, freeip = keep,
}

local storage = {
  stid = keep, st_uuid = keep, name = keep, path = keep, type = keep,
  format = keep, size = keep, free = keep, oversell = keep,
  alert_threshold = keep, primary_storage = keep, last_alert = keep,
}

local user = {
  uid = keep, type = keep, aclid = keep, pid = keep, num_vs = keep,
  num_users = keep, space = keep, ram = keep, burst = keep,
  bandwidth = keep, cpu = keep, cores = keep, cpu_percent = keep,
  num_cores = keep, num_ipv4 = keep, num_ipv6 = keep,
  num_ipv6_subnet = keep, allowed_virts = keep, network_speed = keep,
  upload_speed = keep, act_status = keep, date_created = keep,
  band_suspend = keep, suspended = keep,
  -- secrets: removed by the plugin already
  password = drop, activation_code = drop,
  -- identity, and billing
  email = commit, preferences = commit,
  foreign_uid = drop, uplid = drop,
  inhouse_billing = drop, cur_bal = drop, cur_usage = drop,
  cur_invoices = drop, max_cost = drop, billing_warn = drop,
  service_period = drop,
}

local status = {
  status = keep, used_cpu = keep, used_ram = keep, used_disk = keep,
  net_in = keep, net_out = keep, io_read = keep, io_write = keep,
  inode = keep, used_inode = keep, ram = keep, disk = keep,
  used_bandwidth = keep, bandwidth = keep, virt = keep,
}

return {
  version = 1,
  description = "Virtualizor default: keep what the hoster needs, drop secrets, customer identity and plans",

  -- The normalized record (schema v1) behind /v1/vps and /v1/lookup.
  -- The name is Virtualizor's internal one (v1001), also the libvirt
  -- domain's: the hoster needs it to find the VPS on its node.
  record = {
    id = keep, panel = keep, native_id = keep, kind = keep, node = keep,
    status = keep, created = keep, cpu = keep, memory_mb = keep,
    disk_gb = keep, bandwidth_gb = keep, uuid = keep, name = keep,
    interfaces = { mac = keep, ips = keep, bridge = keep, vlan = keep },
    disks = { storage = keep, volume = keep, size_gb = keep },
    owner = commit_ps, hostname = commit, notes = commit, tags = commit,
  },

  -- Hypervisor nodes behind /v1/nodes.
  node = {
    id = keep, panel = keep, name = keep, status = keep, cpu = keep,
    memory_mb = keep, disk_gb = keep, vps_count = keep,
    ssl_fingerprint = keep,
  },

  -- Native calls, keyed by the plugin's allow-listed endpoints.
  native = {
    ["/index.php?act=vs"] = merge(envelope, {
      vs = by_id(vps),
      servers = list_or_map(server),
      -- plans, owners, backup plans, templates: dropped
    }),
    ["/index.php?act=vs&vs_status={vpsids}"] = merge(envelope, {
      status = by_id(status),
    }),
    ["/index.php?act=managevps&vpsid={vpsid}"] = merge(envelope, {
      vps = vps,
    }),
    ["/index.php?act=servers"] = merge(envelope, {
      servs = list_or_map(server),
    }),
    ["/index.php?act=ips"] = merge(envelope, {
      ips = by_id(ip), ippools = by_id(ippool),
    }),
    ["/index.php?act=ippool"] = merge(envelope, {
      ippools = by_id(ippool),
    }),
    ["/index.php?act=storage"] = merge(envelope, {
      storage = by_id(storage),
    }),
    ["/index.php?act=users"] = merge(envelope, {
      users = by_id(user),
    }),
  },
}
