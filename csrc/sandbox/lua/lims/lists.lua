-- v2 reads: paginated lists (top-level and sub-collections) and single
-- records. Lists honour page_num, page_size (default 20, at most 50), ids,
-- every "<x>_ids" parameter that names a relation of the listed collection
-- (and customer_id on contacts), integration_ids / not_integration_ids,
-- boolean parameters named like a boolean field of the record, sort_by /
-- sort_order, and include_deleted (TRUE: deleted records too; DELETED_ONLY).
-- Other declared parameters are accepted and ignored.
local json = require "sandbox.json"
local catalog = require "sandbox.lims.catalog"
local relations = require "sandbox.lims.relations"
local seed = require "sandbox.lims.seed"
local answers = require "sandbox.lims.answers"
local updated = require "sandbox.lims.updated"

local null = json.null

local M = {}

-- The integration kind whose mappings a collection's integration filters use.
local INTEGRATION_KIND = { assays = "assays", contacts = "contacts", customers = "customers",
  invoices = "invoices", panels = "panels", payments = "payments" }

local function matches(got, wanted)
  if got == nil then return false end
  if type(got) == "table" then
    for id in pairs(got) do if wanted[id] then return true end end
    return false
  end
  return wanted[got] == true
end

local function as_set(db, col, values)
  local set = {}
  for _, v in ipairs(values) do
    local id = db:internal_id(col, v)
    if id then set[id] = true end
  end
  return set
end

-- The filters the request's parameters make: {pred = function(id) ->
-- boolean}, with field and wanted when the filter is on a plain field.
local function filters(db, col, args)
  local preds = {}
  local direct = relations.FIELD_RELATIONS[col] or {}
  local rels = relations.RELATIONS[col] or {}
  local schema = catalog.schemas[col]
  for name, value in pairs(args) do
    local target = relations.PARAM_TARGETS[name]
    if name == "ids" or target == col then
      local wanted = as_set(db, col, type(value) == "table" and value or { value })
      preds[#preds + 1] = { pred = function(id) return wanted[id] == true end }
    elseif target and rels[target] then
      local getter = rels[target]
      local tcol = target == "parent_samples" and "samples" or target == "parents" and "batches"
        or target == "parent_customers" and "customers" or target
      local wanted = as_set(db, tcol, type(value) == "table" and value or { value })
      preds[#preds + 1] = { pred = function(id) return matches(getter(db, id), wanted) end,
        field = direct[target], wanted = wanted }
    elseif (name == "integration_ids" or name == "not_integration_ids") and INTEGRATION_KIND[col] then
      local maps = db.integrations[INTEGRATION_KIND[col]]
      local want = name == "integration_ids"
      preds[#preds + 1] = { pred = function(id)
        local mapped = false
        for _, iid in ipairs(value) do
          if maps[iid] and maps[iid][id] then mapped = true end
        end
        return mapped == want
      end }
    elseif type(value) == "boolean" and schema.properties[name] and schema.properties[name].type == "boolean" then
      preds[#preds + 1] = { pred = function(id) return db:field(col, id, name) == value end }
    end
  end
  for _, p in ipairs(updated.predicates(db, col, args)) do preds[#preds + 1] = p end
  return preds
end

-- Sort keys: null first, then false < true, numbers, strings; ties by id.
local RANK = { ["nil"] = 0, boolean = 1, number = 2, string = 3 }
local function less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return RANK[ta] < RANK[tb] end
  if ta == "boolean" then return (not a) and b end
  if ta == "nil" then return false end
  return a < b
end

local SORTABLE = { integer = true, number = true, string = true, boolean = true }

local function sort_field_error(col, name)
  local s = catalog.schemas[col].properties[name]
  if not s then return "no field '" .. name .. "' to sort by" end
  if not (SORTABLE[s.type] or s.anyOf) then return "cannot sort by '" .. name .. "' (" .. s.type .. ")" end
  return nil
end

-- The ids a filter on a plain field can only come from (an index look-up
-- instead of a scan of the whole collection), or nil.
local function candidates(db, col, preds)
  for _, p in ipairs(preds) do
    if p.field then
      local values = {}
      for v in pairs(p.wanted) do values[#values + 1] = v end
      table.sort(values)
      local out, seen = {}, {}
      for _, v in ipairs(values) do
        for _, id in ipairs(db:children(col, p.field, v)) do
          if not seen[id] then
            seen[id] = true
            out[#out + 1] = id
          end
        end
      end
      table.sort(out)
      return out
    end
  end
  return nil
end

-- The ids of `col` that a list request selects, in answer order.
local function select_ids(db, col, args, extra)
  local c = db.cols[col]
  local preds = filters(db, col, args)
  if extra then preds[#preds + 1] = extra end
  local mode = args.include_deleted
  local ids = {}
  local from = candidates(db, col, preds)
  for i = 1, from and #from or c.last do
    local id = from and from[i] or i
    local deleted = c.deleted[id]
    local keep
    if mode == "DELETED_ONLY" then keep = deleted elseif mode == "TRUE" then keep = true else keep = not deleted end
    if keep then
      for _, p in ipairs(preds) do
        if not p.pred(id) then keep = false break end
      end
      if keep then ids[#ids + 1] = id end
    end
  end
  local by, desc = args.sort_by, args.sort_order == "DESC"
  if by then
    local key = {}
    for _, id in ipairs(ids) do key[id] = db:field(col, id, by) end
    table.sort(ids, function(a, b)
      local ka, kb = key[a], key[b]
      if desc then ka, kb = kb, ka end
      if ka == kb or (not less(ka, kb) and not less(kb, ka)) then
        if desc then return a > b end
        return a < b
      end
      return less(ka, kb)
    end)
  elseif desc then
    local n = #ids
    for i = 1, n // 2 do ids[i], ids[n - i + 1] = ids[n - i + 1], ids[i] end
  end
  return ids
end

local function page_args(args, op)
  local size_default = 20
  for _, p in ipairs(op.params) do
    if p.name == "page_size" and p.default then size_default = p.default end
  end
  return args.page_num or 1, args.page_size or size_default
end

-- A page of `col`: status, body.
local function answer_page(db, col, ids, page_num, page_size)
  local items = {}
  local first = (page_num - 1) * page_size + 1
  for i = first, math.min(first + page_size - 1, #ids) do items[#items + 1] = db:encoded(col, ids[i]) end
  return answers.page(items, page_num, page_size, #ids)
end

-- GET of a list. `parent`: nil, or {collection, id, relation} for a
-- sub-collection list.
function M.list(db, op, args, col, parent)
  local bad_times = updated.check(args)
  if bad_times then return answers.bad_request(bad_times) end
  if args.sort_by then
    local why = sort_field_error(col, args.sort_by)
    if why then return answers.bad_request { { field = "sort_by", message = why } } end
  end
  local page_num, page_size = page_args(args, op)
  local c = db.cols[col]
  -- The plain walk over a big collection needs no scan at all.
  local only_paging = not parent and c.ndeleted == 0
  if only_paging then
    for k in pairs(args) do
      if k ~= "page_num" and k ~= "page_size" then only_paging = false end
    end
  end
  if only_paging then
    local items = {}
    local first = (page_num - 1) * page_size + 1
    for id = first, math.min(first + page_size - 1, c.last) do items[#items + 1] = db:encoded(col, id) end
    return answers.page(items, page_num, page_size, c.last)
  end
  local extra
  if parent then
    local getter = relations.RELATIONS[col][parent.relation]
    local wanted = { [parent.id] = true }
    extra = { pred = function(id) return matches(getter(db, id), wanted) end,
      field = (relations.FIELD_RELATIONS[col] or {})[parent.relation], wanted = wanted }
  end
  return answer_page(db, col, select_ids(db, col, args, extra), page_num, page_size)
end

-- GET of one record: status, body.
function M.get(db, col, id)
  if not id or not db:exists(col, id) then return answers.not_found(answers.noun(col) .. " " .. tostring(id)) end
  return 200, answers.data(db:encoded(col, id))
end

-- GET /integrations/{integration_id}/{kind}: the mappings of one kind,
-- filtered by entity_ids and integration_vendor_ids.
function M.integration_list(db, op, args, kind, iid)
  local map = db.integrations[kind][iid]
  if not map then return answers.not_found("integration " .. iid) end
  local want_ids = args.entity_ids and as_set(db, "", args.entity_ids)
  local want_vendor
  if args.integration_vendor_ids then
    want_vendor = {}
    for _, v in ipairs(args.integration_vendor_ids) do want_vendor[v] = true end
  end
  local ids = {}
  for e in pairs(map) do
    if (not want_ids or want_ids[e]) and (not want_vendor or want_vendor[map[e]]) then ids[#ids + 1] = e end
  end
  table.sort(ids)
  local page_num, page_size = page_args(args, op)
  local items = {}
  local first = (page_num - 1) * page_size + 1
  for i = first, math.min(first + page_size - 1, #ids) do
    items[#items + 1] = answers.encode_record(M.mapping(kind, iid, ids[i], map[ids[i]]), op.record)
  end
  return answers.page(items, page_num, page_size, #ids)
end

-- One integration mapping as the digest spells it ("integraton_vendor_id").
function M.mapping(kind, iid, entity_id, vendor_id)
  return { entity_id = entity_id, entity_type = seed.INTEGRATION_KINDS[kind], integration_id = iid,
    integraton_vendor_id = vendor_id or null }
end

return M
