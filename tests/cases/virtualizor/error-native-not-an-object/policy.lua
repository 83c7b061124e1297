-- Shows everything the panel sends: only what the plugin removed is missing.
return {
  record = { id = "keep" },
  native = {
    ["/index.php?act=users"] = "keep",
    ["/index.php?act=managevps&vpsid={vpsid}"] = "keep",
    ["/index.php?act=vs"] = "keep",
  },
}
