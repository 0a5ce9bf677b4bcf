import type { Item } from '../connectors/dynamodb-store';
import type { AfterDateRule, StoreDefinition, UntilDateRule } from '../data-map';

/**
 * A dated rule of a table, applied to scanned items: which attributes a scan needs, which items are
 * the rule's records, which of them are past it, and whose they are. Shared by the sweep's own scans
 * (profiles, ledger) and the planner's hold scan, which sweeps the tables it reads anyway (orders,
 * contacts) in the same pass.
 */

/** A dated table rule. */
export type TableRule = AfterDateRule | UntilDateRule;

/** The partition key prefix of an anonymise-and-retain store's retained records (`retained#`), or undefined. */
export function retainedPartitionPrefix(store: StoreDefinition): string | undefined {
  if (store.erasure.action !== 'anonymise-and-retain') return undefined;
  const template = store.erasure.retainedPartitionTemplate;
  return template.slice(0, template.indexOf('{customerKey}'));
}

/** The attribute that holds the customer id of a table's own records (`customerKey` when there is none). */
function customerAttribute(store: StoreDefinition): string {
  const locator = store.locator;
  return locator?.by === 'index' ? locator.indexPartitionKey : locator?.by === 'partition-key' ? locator.partitionKey : 'customerKey';
}

/** The keyed hash of the customer a table item belongs to: its retained partition, its `customerKey`, or its customer id hashed. */
export function customerKeyOfItem(store: StoreDefinition, item: Item, keyOf: (customerId: string) => string): string | undefined {
  const prefix = retainedPartitionPrefix(store);
  const partition = String(item[store.table!.partitionKey]);
  if (prefix !== undefined && partition.startsWith(prefix)) return partition.slice(prefix.length);
  if (typeof item.customerKey === 'string') return item.customerKey;
  const attribute = customerAttribute(store);
  return typeof item[attribute] === 'string' ? keyOf(item[attribute] as string) : undefined;
}

/** The attributes a scan for the rule reads: keys, the rule's attributes and the customer's. */
export function ruleAttributes(store: StoreDefinition, rule: TableRule): string[] {
  const attributes = [store.table!.partitionKey, store.table!.sortKey, rule.attribute, rule.kind !== 'until-attribute' ? rule.when?.attribute : undefined, customerAttribute(store)];
  return [...new Set(attributes.filter((attribute): attribute is string => attribute !== undefined))];
}

/**
 * True when a scanned item is one of the rule's records: a rule on retained records covers only the
 * retained partitions; an item without the attribute `when` looks at is none of the store's records
 * (the ledger's open markers).
 */
export function isRuleRecord(store: StoreDefinition, rule: TableRule, item: Item): boolean {
  if (rule.kind === 'until-attribute') {
    const prefix = retainedPartitionPrefix(store);
    return prefix === undefined || String(item[store.table!.partitionKey]).startsWith(prefix);
  }
  return !rule.when || item[rule.when.attribute] !== undefined;
}
