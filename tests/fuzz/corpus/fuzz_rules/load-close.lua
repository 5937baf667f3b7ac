-- To-be-closed variables whose __close loops: stopped like any loop.
local x <close> = setmetatable({}, { __close = function() while true do end end })
while true do end
pcall(function() local x <close> = setmetatable({}, { __close = function() while true do end end }) error("x") end)
while true do end
