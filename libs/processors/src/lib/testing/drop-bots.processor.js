// A processor written outside the platform, as a plugin module (CommonJS, no build step):
// drops events whose User-Agent says "bot", dead-letters those sent without one.
exports.processor = (setup) => {
  const pattern = new RegExp(setup.options.pattern ?? 'bot', 'i');
  return {
    name: 'drop-bots',
    process(context, next) {
      const agent = context.request.userAgent;
      if (agent === undefined)
        return { kind: 'dead-letter', processor: 'drop-bots', reason: 'no User-Agent' };
      if (pattern.test(agent))
        return { kind: 'dropped', processor: 'drop-bots', reason: `bot: ${agent}` };
      return next(context);
    },
  };
};
