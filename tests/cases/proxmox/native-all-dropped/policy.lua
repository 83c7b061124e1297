return {
  record = {},
  native = { ["/version"] = "drop" },
}
