/**
 * The longest delay a JavaScript timer takes (2³¹−1 ms, about 24.8 days): a longer one fires at once
 * with a `TimeoutOverflowWarning`, so every option that becomes a timer is checked against it.
 */
export const MAX_TIMER_MS = 2_147_483_647;
