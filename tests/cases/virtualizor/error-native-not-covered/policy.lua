return { record = { id = "keep" }, native = { ["/index.php?act=vs"] = "keep" } }
