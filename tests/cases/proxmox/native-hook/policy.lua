-- A hook rewrites one value: the firewall flag leaves net0.
local function no_firewall(v)
  return "keep", (v:gsub(",firewall=%d", ""))
end

return {
  record = {},
  native = {
    ["/nodes/{node}/qemu/{vmid}/config"] = {
      data = { net0 = no_firewall, cores = "keep", name = "drop" },
    },
  },
}
