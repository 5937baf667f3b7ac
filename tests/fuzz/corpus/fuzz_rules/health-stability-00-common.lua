-- 卫生健康系统突发群体事件维护稳定 (health-system stability work).
--
-- Source: seed 003, 濮阳县卫生健康委员会 濮县卫〔2019〕100号 关于印发《濮阳县
-- 卫生健康系统突发群体事件维护稳定工作应急预案》的通知 (cited "003 二(五)"
-- for part 二, section (五); "003 附件1" for the wartime command roster).
--
-- This pack builds on the national baseline; the site lists it first:
--   rules = { "../holidays", "../baseline", "." }
-- Roles: duty (24小时专人值班), leader-on-duty (领导在岗带班), office (委应急办),
-- petition-office (信访办), leadership (突发事件应急处置领导小组), deputy
-- (分管副主任), principal (党组书记、主任), superior (县委、县政府), plus the
-- wartime command roster of 003 附件1 — commander (指挥长), vice-commander
-- (副指挥长), command-member (成员).

assert(type(bl) == "table", "health-stability builds on the national " ..
  "baseline: list \"../baseline\" before this pack in the site's rules")

-- A missed step of stability work: the petition office, the emergency
-- office and the duty officer at once; the vice-commanders after 30
-- minutes; the commander after an hour.  The intervals are this pack's
-- choice; the seed sets none.
policy "hs-chain" {
  { notify = { "petition-office", "office", "duty" } },
  { after = "30m", notify = { "vice-commander" } },
  { after = "1h", notify = { "commander" } },
}
