-- solusvm2.lua: the default policy for SolusVM 2 panels.
--
-- The hoster sees what it needs to find and preserve one VPS: ids, the
-- compute resource (node), status, resources, the MAC and every address,
-- disks with their storage and volume path. Secrets are never shown: the
-- VNC password (settings.vnc_password), SSH keys, billing tokens, storage
-- credentials. Customer identity (user, project, names, FQDNs,
-- descriptions) is committed: the hoster sees digests, the
-- owner a pseudonym too (owner_ps). Plans and prices are commercially sensitive
-- and dropped; a plan's resource params are kept.
--
-- Anything this file does not name is dropped. See sightline.conf(5),
-- POLICIES, and policies/proxmox.lua for the syntax.

local keep, drop = "keep", "drop"
local commit = "commit"
local commit_ps = { "commit", "pseudonym" }

-- Laravel API-resource pagination; links and meta.path are the panel's
-- own URLs, which the hoster does not need to page.
local meta = {
  current_page = keep, from = keep, last_page = keep, per_page = keep,
  to = keep, total = keep,
}

local ip_block = {
  id = keep, name = keep, type = keep, gateway = keep, netmask = keep,
  range = keep, subnet = keep, from = keep, to = keep, ns_1 = keep,
  ns_2 = keep,
}

local compute_resource = {
  id = keep, name = keep, host = keep, agent_port = keep, status = keep,
  locations = { id = keep, name = keep }, ip_blocks = ip_block,
  vms_count = keep, version = keep, is_locked = keep,
}

local location = {
  id = keep, name = keep, description = keep, is_default = keep,
  is_visible = keep,
}

local server = {
  id = keep, uuid = keep, virtualization_type = keep,
  specifications = { disk = keep, ram = keep, vcpu = keep },
  status = keep, real_status = keep,
  ips = { id = keep, ip = keep, ip_block = ip_block },
  ip_addresses = {
    ipv4 = { id = keep, ip = keep, is_primary = keep, gateway = keep,
             netmask = keep, comment = commit, ip_block = ip_block },
    ipv6 = { id = keep, range = keep, primary_ip = keep, is_primary = keep,
             gateway = keep, ip_block = ip_block },
  },
  location = location,
  plan = { id = keep, virtualization_type = keep,
           params = { disk = keep, ram = keep, vcpu = keep },
           name = drop, price = drop },
  boot_mode = keep, is_suspended = keep, is_processing = keep,
  progress = keep, created_at = keep, next_scheduled_backup_at = keep,
  usage = keep, backup_settings = keep,
  compute_resource = { id = keep, name = keep, host = keep },
  settings = {
    mac_address = keep, disk_cache_mode = keep, disk_driver = keep,
    guest_tools_installed = keep, vnc_enabled = keep, os_image = keep,
    user = commit,            -- the guest's login name
    vnc_password = drop,
  },
  -- customer identity
  name = commit, description = commit, fqdns = commit,
  user = { id = commit, email = commit, billing_user_id = commit,
           status = keep, created_at = keep, billing_token = drop },
  project = { id = commit, name = commit, description = commit,
              is_default = keep },
  -- secrets
  ssh_keys = drop, vnc_url = drop, application_login_link = drop,
}

local disk = {
  id = keep, is_primary = keep, name = keep, size = keep,
  actual_size = keep, path = keep, full_path = keep,
  storage = {
    id = keep, name = keep, type = { id = keep, name = keep, formats = keep },
    path = keep, mount = keep, thin_pool = keep,
    is_available_for_balancing = keep, servers_count = keep,
    compute_resources_count = keep, free_space = keep,
    credentials = drop,       -- network storage secrets
  },
}

return {
  version = 1,
  description = "SolusVM 2 default: keep what the hoster needs, drop secrets and customer identity",

  record = {
    id = keep, panel = keep, native_id = keep, kind = keep, node = keep,
    status = keep, created = keep, cpu = keep, memory_mb = keep,
    disk_gb = keep, bandwidth_gb = keep, uuid = keep,
    interfaces = { mac = keep, ips = keep, bridge = keep, vlan = keep },
    disks = { storage = keep, volume = keep, size_gb = keep },
    owner = commit_ps, hostname = commit, name = commit, notes = commit,
    tags = commit,
  },

  node = {
    id = keep, panel = keep, name = keep, status = keep, cpu = keep,
    memory_mb = keep, disk_gb = keep, vps_count = keep, address = keep,
  },

  native = {
    ["/servers"] = { data = server, meta = meta },
    ["/servers/{id}"] = { data = server },
    ["/servers/{id}/disks"] = { data = disk },
    ["/compute_resources"] = { data = compute_resource, meta = meta },
    ["/compute_resources/{id}"] = { data = compute_resource },
    ["/ip_blocks"] = { data = ip_block, meta = meta },
    ["/ip_blocks/{id}"] = { data = ip_block },
    ["/locations"] = { data = location, meta = meta },
  },
}
