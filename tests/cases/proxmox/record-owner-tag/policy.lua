-- The owner, taken from a tag by the plugin option owner = "tag:owner-",
-- and a hook that turns the interfaces into a list of MACs.
return {
  record = {
    id = "keep", owner = "keep",
    interfaces = function(list)
      local macs = {}
      for i, ifc in ipairs(list) do macs[i] = ifc.mac end
      return "keep", macs
    end,
  },
}
