-- Load-time attacks: each must end with a problem, never a hang.
local ok = pcall(function() while true do end end)
local t = {} for i = 1, 1e7 do t[i] = ("x"):rep(100) end
