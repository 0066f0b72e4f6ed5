--- The resources a client offers, by field name, and the module that makes each:
-- `qb.customer` and `qb.v2` are made from here on first use, so the client names
-- no resource itself.
-- @module qbench.registry
-- @local
return {
  customer = "qbench.resources.customer",
  v2 = "qbench.v2",
}
