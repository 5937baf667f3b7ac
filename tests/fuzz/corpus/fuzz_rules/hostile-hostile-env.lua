-- A rule that wrecks its own chunk's environment on first use: only this
-- file's functions lose their globals, and only this procedure fails.
procedure "hostile-env" {
  title = "敌意规则（环境）",
  match = function(ev)
    if ev.category == "h-env" then _ENV = nil end
    return false
  end,
}
