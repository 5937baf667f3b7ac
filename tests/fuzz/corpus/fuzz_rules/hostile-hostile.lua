-- A rule pack that tries every way out of the sandbox, one procedure per
-- attack, each triggered by a report of its own category (test_hostile.py).
-- Each must be stopped with a reason, and the daemon must go on serving.

local attacks = {
  ["h-io"]          = function() return io.open("/etc/passwd") end,
  ["h-os-execute"]  = function() return os.execute("touch /tmp/tocsin-pwned") end,
  ["h-require"]     = function() return require("os") end,
  ["h-loadlib"]     = function() return package.loadlib("libc.so.6", "system") end,
  ["h-binary"]      = function() return load("\27LuaT\0\25\147\r\n\26\n", "x", "b") end,
  ["h-dump"]        = function() return string.dump(function() end) end,
  ["h-debug"]       = function() return debug.sethook() end,
  ["h-string-mt"]   = function() getmetatable("").__index.upper = function() end end,
  ["h-string-mt2"]  = function() return ("x").dump(function() end) end,
  ["h-rep-bomb"]    = function() return string.rep("x", 1 << 30) end,
  ["h-concat-bomb"] = function() local t = {} for i = 1, 1e8 do t[i] = "xxxxxxxx" end return table.concat(t) end,
  ["h-recursion"]   = function() local function f() return 1 + f() end return f() end,
  ["h-loop"]        = function() while true do end end,
  ["h-coroutine"]   = function() return coroutine.wrap(function() while true do end end)() end,
  ["h-pcall-loop"]  = function() while true do pcall(function() while true do end end) end end,
  ["h-xpcall-loop"] = function() return xpcall(function() error("x") end, function() while true do end end) end,
  ["h-gc-loop"]     = function() setmetatable({}, { __gc = function() while true do end end }) end,
  ["h-pattern"]     = function()
    local r = string.find(string.rep("a", 100000), string.rep("a*", 30) .. "b")
    error("find returned " .. tostring(r))
  end,
  ["h-match"]       = function() return string.match(string.rep("a", 100000), string.rep("a*", 30) .. "b") end,
  ["h-gsub"]        = function() return ("aaa"):gsub("a*", "b") end,
  ["h-sort"]        = function() local t = {} for i = 1, 100 do t[i] = i end table.sort(t, function() while true do end end) end,
  ["h-tostring"]    = function() return tostring(setmetatable({}, { __tostring = function() while true do end end })) end,
  ["h-error-obj"]   = function() error(setmetatable({}, { __tostring = function() while true do end end })) end,
}

procedure "hostile" {
  title = "敌意规则",
  match = function(ev)
    local attack = attacks[ev.category]
    if attack then attack() end
    return ev.category == "h-harmless"
  end,
  on_open = { notify = { "office" } },
}
