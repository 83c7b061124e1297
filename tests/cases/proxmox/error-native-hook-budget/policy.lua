-- A hook that never returns, even when it catches the budget error.
return {
  record = {},
  native = {
    ["/nodes/{node}/qemu/{vmid}/config"] = {
      data = {
        vmid = "keep",
        name = function(v)
          while true do pcall(function() while true do end end) end
        end,
      },
    },
  },
}
