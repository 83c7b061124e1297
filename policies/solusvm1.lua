-- solusvm1.lua: the default policy for SolusVM 1 masters.
--
-- The hoster sees what it needs to find and preserve one VPS: ids, node,
-- type, status, resources, the MAC and every address, the container or
-- domain name on the node (ctid-xid). Secrets are never shown: sightline
-- refuses vserver-vnc and vserver-console outright, and drops the graph
-- paths (links into the panel) and the nodes' SSH ports. Customer identity
-- (client id, hostname) is commercially sensitive: committed, so the
-- hoster sees digests (and the owner's pseudonym, owner_ps) it cannot
-- read, and the reseller can open them later (sightline disclose).
--
-- Anything this file does not name is dropped. Answers read from XML
-- have the same fields as JSON ones, every value a string.
-- See sightline.conf(5), POLICIES.

local keep, drop = "keep", "drop"
local commit = "commit"
local commit_ps = { "commit", "pseudonym" }

-- The envelope every answer carries.
local function answer(fields)
  fields.status = keep
  fields.statusmsg = keep
  return fields
end

-- One VPS as node-virtualservers lists it and vserver-info gives it.
local function vserver()
  return {
    vserverid = keep, ["ctid-xid"] = keep, ipaddress = keep,
    template = keep, hdd = keep, memory = keep, ["swap-burst"] = keep,
    type = keep, mac = keep,
    clientid = commit, hostname = commit,
  }
end

return {
  version = 1,
  description = "SolusVM 1 default: keep what the hoster needs, drop secrets and customer identity",

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
    id = keep, panel = keep, native_id = keep, name = keep, status = keep,
    cpu = keep, memory_mb = keep, disk_gb = keep, vps_count = keep,
    virt = keep, ip = keep, hostname = keep,
  },

  -- Native calls, keyed by the plugin's allow-listed actions.
  native = {
    ["/command.php?action=listnodes"] = answer { nodes = keep },
    ["/command.php?action=node-idlist"] = answer { nodes = keep },
    ["/command.php?action=node-statistics"] = answer {
      id = keep, virt = keep, name = keep, ip = keep, hostname = keep,
      country = keep, city = keep, arch = keep, memorylimit = keep,
      freememory = keep, allocatedmemory = keep, disklimit = keep,
      freedisk = keep, allocatedbandwidth = keep, virtualservers = keep,
      freeips = keep,
      sshport = drop,
    },
    ["/command.php?action=node-virtualservers"] = answer {
      virtualservers = vserver(),
    },
    ["/command.php?action=vserver-info"] = answer(vserver()),
    ["/command.php?action=vserver-infoall"] = answer {
      state = keep, ipaddresses = keep, mainipaddress = keep, type = keep,
      node = keep, hdd = keep, bandwidth = keep, memory = keep,
      internalips = keep,
      -- paths into the panel's own web server: of no use outside it
      trafficgraph = drop, loadgraph = drop, memorygraph = drop,
    },
    ["/command.php?action=vserver-status"] = answer {},
    ["/command.php?action=vserver-checkexists"] = answer {},
  },
}
