-- "reveal" is not an action this version knows: the policy does not load.
return {
  record = { id = "keep" },
  native = { ["/version"] = { data = { version = "reveal" } } },
}
