-- Covers /version only: other native calls show nothing.
return {
  record = { id = "keep" },
  native = { ["/version"] = { data = { version = "keep" } } },
}
