-- A hook that fails on the first record: the whole inventory fails.
return {
  record = {
    id = "keep",
    name = function(v) error("names are not for the hoster") end,
  },
}
