-- Every field of the record and of a node, to show what the plugin fills.
return {
  record = { ["*"] = "keep" },
  node = { ["*"] = "keep" },
}
