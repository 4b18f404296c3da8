/**
 * The filter and grouping vocabulary the data contract offers to queries and subscriptions:
 * operators, and the window columns of an aggregation's result table.
 */
export const FILTER_OPERATORS = ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];
export const WINDOW_START = 'window_start';
export const WINDOW_END = 'window_end';
