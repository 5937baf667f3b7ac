-- 县级应急工作：信息报告时限、值守应急、节假日和特防期值守 (county
-- emergency work: reporting limits, the duty watch, holiday and special-
-- period watch).
--
-- Source: seed 004, a collection of county and city 应急工作要点 (cited by
-- the heading they sit under, e.g. "004 规范值守应急工作 1", "004 强化应急值守
-- 1", "004 健全常备不懈的应急机制").
--
-- This pack builds on the national baseline; the site lists it first:
--   rules = { "../holidays", "../baseline", "." }
-- Roles: duty (县政府总值班室值班员), leader-on-duty (带班领导), office (县应急办),
-- deputy (分管副县长), principal (县长), superior (市政府总值班室), responsible
-- (事发乡镇、部门, for the baseline).  The site declares its units: the county
-- (binding those roles), the townships and departments under it (each its
-- own office), the city above; the pack speaks of "parent.R" and
-- "unit.office" (see report.lua).

assert(type(bl) == "table", "county-emergency builds on the national " ..
  "baseline: list \"../baseline\" before this pack in the site's rules")

-- A missed report climbs the unit above the one that owes it: its
-- emergency office and duty officer at once, its deputy in charge after 30
-- minutes, its head after an hour (a township's: the county's; the
-- county's own: the city's).  The intervals are this pack's choice.
policy "ce-chain" {
  { notify = { "parent.office", "parent.duty" } },
  { after = "30m", notify = { "parent.deputy" } },
  { after = "1h", notify = { "parent.principal" } },
}
