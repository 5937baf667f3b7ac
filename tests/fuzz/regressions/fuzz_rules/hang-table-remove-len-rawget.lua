local t = {}
t[t] = 1 << 50
setmetatable(t, { __len = rawget })
table.remove(t, 1)
