local s = ("x"):rep(1500000)
local p = ("x"):rep(500000) .. "y"
return s:find(p)
