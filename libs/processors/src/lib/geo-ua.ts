import { UAParser } from 'ua-parser-js';
import { z } from 'zod';
import type { EventProcessor } from './chain';
import { parseOptions, requireStringField } from './options';
import type { ProcessorSetup } from './registry';

const optionsSchema = z.strictObject({
  /** Fields filled from the User-Agent header, when the event does not carry them. */
  user_agent: z
    .strictObject({
      browser: z.string().optional(),
      os: z.string().optional(),
      device_type: z.string().optional(),
    })
    .default({}),
  /**
   * Field filled with the ISO country code that the CDN or load balancer in front of the
   * gateway puts in `country_header` (Cloudflare `cf-ipcountry`, CloudFront
   * `cloudfront-viewer-country`, ...). The gateway never guesses a country from an IP itself.
   */
  country: z.string().optional(),
  country_header: z.string().default('cf-ipcountry'),
});

/**
 * `geo-ua`: enriches an event with what its request says about the sender: browser, operating
 * system and device type parsed from the User-Agent (ua-parser-js), and the country from a
 * trusted edge header. A value the event already has wins; a value outside a field's
 * declared `values` is left out rather than making the event invalid.
 */
export function geoUa(setup: ProcessorSetup): EventProcessor {
  const options = parseOptions(optionsSchema, setup.options);
  const targets = {
    browser: options.user_agent.browser,
    os: options.user_agent.os,
    device_type: options.user_agent.device_type,
    country: options.country,
  };
  for (const [option, field] of Object.entries(targets)) {
    if (field !== undefined) requireStringField(setup, field, `options.${option}`);
  }
  const allowed = (field: string, value: string | undefined): value is string => {
    if (value === undefined || value === '') return false;
    const values = setup.field(field)?.values;
    return values === undefined || values.includes(value);
  };
  const fill = (event: Record<string, unknown>, field: string | undefined, value?: string) => {
    if (field === undefined || (event[field] !== undefined && event[field] !== null)) return;
    if (allowed(field, value)) event[field] = value;
  };
  const parseUa = targets.browser ?? targets.os ?? targets.device_type;
  const countryHeader = options.country_header.toLowerCase();
  return {
    name: 'geo-ua',
    process(context, next) {
      const { event, request } = context;
      if (parseUa !== undefined && request.userAgent !== undefined) {
        const ua = new UAParser(request.userAgent).getResult();
        fill(event, targets.browser, ua.browser.name);
        fill(event, targets.os, ua.os.name);
        // ua-parser-js names no device type for desktop browsers.
        fill(event, targets.device_type, ua.device.type ?? 'desktop');
      }
      const header = request.headers[countryHeader];
      const country = typeof header === 'string' ? header.trim().toUpperCase() : undefined;
      // Cloudflare's XX (unknown) and T1 (Tor) are not countries.
      if (country !== undefined && /^[A-Z]{2}$/.test(country) && country !== 'XX') {
        fill(event, targets.country, country);
      }
      return next(context);
    },
  };
}
