/** Conditions on a charge and its parties: each unmet field gives one reason, in words a statement can show. */
import type { Condition, Eligibility, SpendEvent } from './types.ts';

const list = (values: readonly string[]): string => (values.length === 0 ? 'none' : values.join(', '));
const anyOf = (have: readonly string[], wanted: readonly string[]): boolean => have.some((h) => wanted.includes(h));

/** The reasons `condition` does not hold for `event`; empty when it holds. */
export function conditionFailures(condition: Condition, event: SpendEvent): string[] {
  const reasons: string[] = [];
  const c = condition;
  if (c.kinds !== undefined && !c.kinds.includes(event.kind))
    reasons.push(`the charge is for ${event.kind}, not ${list(c.kinds)}`);
  if (c.domestic !== undefined && c.domestic !== event.domestic)
    reasons.push(
      c.domestic
        ? `accelerator ${event.acceleratorModel} is not a domestic chip`
        : `accelerator ${event.acceleratorModel} is a domestic chip`,
    );
  if (c.acceleratorModels !== undefined && !c.acceleratorModels.includes(event.acceleratorModel))
    reasons.push(`accelerator ${event.acceleratorModel} is not among ${list(c.acceleratorModels)}`);
  if (c.providers !== undefined && !c.providers.includes(event.provider.id))
    reasons.push(`provider ${event.provider.id} is not listed (${list(c.providers)})`);
  if (c.providerRegions !== undefined && !anyOf(event.provider.regions, c.providerRegions))
    reasons.push(`provider regions [${list(event.provider.regions)}] include none of ${list(c.providerRegions)}`);
  if (c.providerCities !== undefined && !c.providerCities.includes(event.provider.city))
    reasons.push(`provider city ${event.provider.city} is not among ${list(c.providerCities)}`);
  if (c.tenantCategories !== undefined && !c.tenantCategories.includes(event.tenant.category))
    reasons.push(`tenant category ${event.tenant.category} is not among ${list(c.tenantCategories)}`);
  if (c.tenantRegions !== undefined && !anyOf(event.tenant.regions, c.tenantRegions))
    reasons.push(`tenant is registered in [${list(event.tenant.regions)}], none of ${list(c.tenantRegions)}`);
  if (c.tenantVerified !== undefined && c.tenantVerified !== event.tenant.verified)
    reasons.push(c.tenantVerified ? 'tenant is not verified' : 'tenant is verified');
  if (c.projectRegions !== undefined && !anyOf(event.project.regions, c.projectRegions))
    reasons.push(
      `project ${event.project.id} regions [${list(event.project.regions)}] include none of ${list(c.projectRegions)}`,
    );
  return reasons;
}

/** The reasons the tenant may not receive the programme's awards for this charge; empty when it may. */
export function eligibilityFailures(eligibility: Eligibility, event: SpendEvent): string[] {
  const reasons = conditionFailures(eligibility, event);
  if (eligibility.excludeSelfBuiltSelfUsed && event.tenant.organisation === event.provider.ownerOrganisation)
    reasons.push(
      `self-built, self-used compute (自建自用): tenant organisation ${event.tenant.organisation} owns provider ` +
        `${event.provider.id}`,
    );
  if (eligibility.excludeAffiliated && (event.affiliations ?? []).includes(event.provider.ownerOrganisation))
    reasons.push(
      `provider ${event.provider.id} is owned by ${event.provider.ownerOrganisation}, an organisation affiliated ` +
        `with the tenant`,
    );
  return reasons;
}
