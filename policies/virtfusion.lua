-- virtfusion.lua: the default policy for VirtFusion panels.
--
-- The hoster sees what it needs to find and preserve one VPS: ids, the
-- hypervisor, resources, interfaces with MACs, addresses, bridges and
-- VLANs, disks with their directory and file. Secrets are never shown:
-- settings.encryptedPassword, cloud-init config, custom XML and QEMU
-- command lines, SSH keys, hypervisor tokens (encryptedToken). Customer
-- identity (owner, names, hostnames, reverse DNS) is committed: the
-- hoster sees digests, and the owner's pseudonym (owner_ps).
--
-- Anything this file does not name is dropped. See sightline.conf(5),
-- POLICIES, and policies/proxmox.lua for the syntax.

local keep, drop = "keep", "drop"
local commit = "commit"
local commit_ps = { "commit", "pseudonym" }

-- Laravel's plain paginator, around "data"; the *_url members and links
-- are the panel's own URLs, which the hoster does not need to page.
local function paged(item)
  return {
    data = item, current_page = keep, from = keep, last_page = keep,
    per_page = keep, to = keep, total = keep,
  }
end

local interface = {
  id = keep, order = keep, enabled = keep, tag = keep, name = keep,
  type = keep, driver = keep, mac = keep, inTrafficCount = keep,
  outTrafficCount = keep, inAverage = keep, inPeak = keep, inBurst = keep,
  outAverage = keep, outPeak = keep, outBurst = keep, ipFilter = keep,
  portIsolated = keep, dhcpV4 = keep, dhcpV6 = keep,
  firewallEnabled = keep, hypervisorNetwork = keep, isNat = keep,
  nat = keep,
  hypervisorConnectivity = { id = keep, type = keep, bridge = keep,
                             mtu = keep, primary = keep, default = keep },
  ipv4 = { id = keep, order = keep, enabled = keep, blockId = keep,
           address = keep, gateway = keep, netmask = keep,
           resolver1 = keep, resolver2 = keep, mac = keep,
           rdns = commit },
  ipv6 = { id = keep, block = { id = keep, name = keep }, order = keep,
           enabled = keep, addresses = keep, subnet = keep, cidr = keep,
           exhausted = keep, gateway = keep, resolver1 = keep,
           resolver2 = keep, routeNet = keep },
}

local storage = {
  _id = keep, id = keep, cache = keep, bus = keep, capacity = keep,
  drive = keep, datastoreDiskId = keep, filesystem = keep, iops = keep,
  bytes = keep, type = keep, profile = keep, status = keep,
  enabled = keep, primary = keep, created = keep, updated = keep,
  datastore = keep, name = keep, filename = keep,
  hypervisorStorageId = keep, ["local"] = keep, locationType = keep,
  path = keep,
}

local group = {
  id = keep, name = keep, description = keep, default = keep,
  enabled = keep, distributionType = keep, created = keep, updated = keep,
  icon = keep,
}

-- A server, in the listing (simple or full) and in its own detail.
local server = {
  id = keep, uuid = keep, hypervisorId = keep, arch = keep,
  commissioned = keep, commissionStatus = keep, state = keep,
  migratable = keep, timezone = keep, suspended = keep, protected = keep,
  buildFailed = keep, primaryNetworkDhcp4 = keep,
  primaryNetworkDhcp6 = keep, built = keep, created = keep,
  updated = keep, traffic = keep,
  settings = {
    osTemplateInstall = keep, osTemplateInstallId = keep,
    backupPlan = keep, uefi = keep, cloudInit = keep, cloudInitType = keep,
    resources = { memory = keep, storage = keep, traffic = keep,
                  cpuCores = keep },
    encryptedPassword = drop, config = drop,
  },
  cpu = keep,
  vnc = { ip = keep, port = keep, enabled = keep },
  network = { interfaces = interface, secondaryInterfaces = interface },
  storage = storage,
  hypervisor = { id = keep, ip = keep, hostname = keep, port = keep,
                 maintenance = keep, groupId = keep, group = group,
                 timezone = keep, name = keep, dataDir = keep,
                 created = keep, updated = keep, resources = keep },
  tasks = keep,
  -- customer identity
  name = commit, hostname = commit, owner = commit, ownerId = commit,
  sharedUsers = commit,
  -- secrets
  sshKeys = drop, customXML = drop, qemuCommandline = drop,
}

local hypervisor = {
  id = keep, commissioned = keep, ip = keep, ipAlt = keep,
  hostname = keep, port = keep, sshPort = keep, name = keep,
  maintenance = keep, enabled = keep, nfType = keep, group = group,
  maxServers = keep, maxCpu = keep, maxMemory = keep,
  networks = { id = keep, type = keep, bridge = keep, primary = keep,
               default = keep, created = keep, updated = keep },
  storage = keep, dataDir = keep, created = keep, updated = keep,
  encryptedToken = drop,
}

return {
  version = 1,
  description = "VirtFusion default: keep what the hoster needs, drop secrets and customer identity",

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
    ["/servers"] = paged(server),
    ["/servers/{id}"] = { data = server },
    -- usage counters per period: numbers and dates only
    ["/servers/{id}/traffic"] = { data = keep },
    ["/servers/user/{id}"] = paged(server),
    ["/compute/hypervisors"] = paged(hypervisor),
    ["/compute/hypervisors/{id}"] = { data = hypervisor },
    ["/compute/hypervisors/groups"] = paged(group),
    ["/compute/hypervisors/groups/{id}"] = { data = group },
    ["/compute/hypervisors/groups/{id}/resources"] = { data = keep },
  },
}
