import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The consent policy: immutable rules, so a change of rules is a new deployment of this module (with new
 * parameters) followed by `ConsentRegistry.setPolicy` through the admin's delay.
 *
 * Parameters (converted from the readable `ConsentPolicy` section of `deploy/parameters/<network>.json` by
 * `deploy/index.ts`): `rules`, the `ConsentRules` struct as bitmaps and seconds; `maxGrantDurations`, seconds per
 * purpose in `Purpose` order.
 */
export default buildModule("ConsentPolicy", (m) => {
  const rules = m.getParameter<{
    sensitiveCategories: number;
    namedPurposes: number;
    breakGlassExcludedCategories: number;
    maxBreakGlassDuration: number;
    maxOpenBreakGlassSessions: number;
  }>("rules");
  const maxGrantDurations = m.getParameter<number[]>("maxGrantDurations");
  const consentPolicy = m.contract("ConsentPolicy", [rules, maxGrantDurations]);
  return { consentPolicy };
});
