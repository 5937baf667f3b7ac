local t = {}
t[t] = (1 << 31) - 2
setmetatable(t, { __len = rawget, __index = rawlen })
table.sort(t)
