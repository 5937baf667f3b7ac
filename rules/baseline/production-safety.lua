-- 生产安全事故 (production-safety accidents).
-- Source: 生产安全事故报告和调查处理条例 (国务院令第493号).
--   第三条   grades: 特别重大 ≥30 deaths, or ≥100 serious injuries (incl.
--            acute industrial poisoning), or ≥1亿元 direct loss; 重大 10–29 /
--            50–99 / 5000万–1亿; 较大 3–9 / 10–49 / 1000万–5000万; 一般 below.
--   第九条   the unit's head reports to the safety authority (县级以上人民政府
--            安全生产监督管理部门) and to the department supervising the
--            sector (负有安全生产监督管理职责的有关部门) within 1 hour of
--            being told: one obligation, met by both forwards.
--   第十条   the authorities report level by level, as far up as the grade
--            says: 一般 to the city (设区的市级), 较大 to the province, 重大
--            and 特别重大 to the State (国务院安全生产监督管理部门).
--   第十一条 each level within 2 hours.
--   第十三条 casualty numbers that change within 30 days of the accident are
--            reported again (补报).
--
-- Site settings:
--   bl_production_safety_hop   "unit" (default: an organisation where an
--       accident happens — a bureau, a hospital, a town's own premises) or
--       "authority" (the site is a safety authority, e.g. 县应急管理局).
--   bl_production_safety_level  for an authority, its level (第十条):
--       "county" (default: every accident goes up to the city), "city"
--       (较大 and above go up to the province) or "province" (重大 and above
--       go up to the State).  A city's or a province's report is the
--       obligation of that grade: owed from the opening when the report
--       gives the grade, and from the event that first raises it there
--       otherwise, due 2 hours from the opening either way.  A grade lowered
--       afterwards loosens nothing.
-- Event attrs: deaths, injured (serious injuries), loss_yuan.

local hop = bl.setting("bl_production_safety_hop", "unit", { "unit", "authority" })
local level = bl.setting("bl_production_safety_level", "county",
  { "county", "city", "province" })

local obligations = {}
-- 第十条: the grade from which an authority of this level reports upward
-- (nil: every accident; a unit's level plays no part).
local up_from = hop == "authority" and ({ city = 3, province = 2 })[level] or nil
local next_level
if hop == "unit" then
  obligations[#obligations + 1] = {
    id = "to-safety-authority",
    title = "单位负责人1小时内向安全生产监督管理部门和有关部门报告（条例第九条）",
    due = "1h", from = "opened",
    -- 第九条 names both: the safety authority (安全生产监督管理部门) and the
    -- department that supervises the unit's sector (负有安全生产监督管理
    -- 职责的有关部门, "industry-authority"); met when the second is told.
    met_by = { all = { bl.forwarded("safety-authority"),
                       bl.forwarded("industry-authority") } },
    remind = { "20m" },
    owner = "principal", on_breach = "bl-standard" }
else
  -- 第十条 counts each hop's 2 hours from 接到事故报告: at a city or a
  -- province, whose report upward begins at a grade, from the report that
  -- shows the grade (from = "graded": the opening when the first report
  -- gives it, the 补报 that raises it otherwise).  Every accident's hop
  -- (a county) counts from the opening, the same moment.
  next_level = {
    id = "to-next-level",
    title = "逐级上报，每级上报不超过2小时（条例第十条、第十一条）",
    due = "2h", from = "graded",
    met_by = bl.forwarded("superior"),
    remind = { "30m" },
    owner = "responsible", on_breach = "bl-standard" }
  if up_from == nil then
    obligations[#obligations + 1] = next_level
  end
end
-- 第十三条: 自事故发生之日起30日内伤亡人数发生变化的及时补报.  The engine
-- cannot see a change nobody reports, so the duty is encoded as a
-- confirmation of the casualty figures (casualties_final = true on an
-- update or final report) due by the 30th day after the accident.
obligations[#obligations + 1] = {
  id = "casualties-30d",
  title = "事故发生之日起30日内核定伤亡人数，有变化及时补报（条例第十三条）",
  due = "30cd", from = "occurred",
  met_by = function(ev)
    return (ev.type == "update" or ev.type == "final") and ev.attrs ~= nil
      and ev.attrs.casualties_final == true
  end,
  owner = "responsible", on_breach = "bl-days" }

procedure "bl-production-safety" {
  title = "生产安全事故",
  match = { category = "production_safety" },
  obligations = obligations,
  classify = function(ev)
    local a = ev.attrs or {}
    local d, i, l = tonumber(a.deaths), tonumber(a.injured), tonumber(a.loss_yuan)
    if d == nil and i == nil and l == nil then return nil end
    d, i, l = d or 0, i or 0, l or 0
    if d >= 30 or i >= 100 or l >= 100000000 then return 1 end
    if d >= 10 or i >= 50 or l >= 50000000 then return 2 end
    if d >= 3 or i >= 10 or l >= 10000000 then return 3 end
    return 4
  end,
  -- The principal leader hears of every accident of 较大 and above (重大
  -- and above also reach the superior through bl-general); a city or a
  -- province authority's report upward begins at its grade (第十条).
  grades = {
    [1] = { notify = { "principal" } },
    [2] = { notify = { "principal" },
            obligations = up_from == 2 and { next_level } or nil },
    [3] = { notify = { "principal" },
            obligations = up_from == 3 and { next_level } or nil },
  },
}
