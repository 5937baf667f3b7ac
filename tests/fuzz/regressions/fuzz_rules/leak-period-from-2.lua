-- Declarations read their body through metamethods that run Lua.
local body = setmetatable({}, { __index = function(t, k)
  if k == "match" then return { category = "x" } end
  if k == "obligationq" then error("no obligations for you") end
end })
procedure "meta" (body)
period "p" (setmetatable({ from = "2026-01-01" }, { __index = function(t, k)
  if k == "to" then error("to") end end }))
