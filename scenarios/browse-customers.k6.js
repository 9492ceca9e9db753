// A k6 script for `engine: k6` with `script: ../scenarios/browse-customers.k6.js`:
// crt passes the case's target as CRT_URL and tags every point with run and case.
// Its thresholds become expectations of the case (k6 exit 99 fails it).
import http from 'k6/http';

const BASE = __ENV.CRT_URL || 'http://127.0.0.1:8080/';

export const options = {
  scenarios: {
    browse: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '30s', preAllocatedVUs: 20, maxVUs: 20 },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<200'],
  },
};

export default function () {
  const id = 1 + Math.floor(Math.random() * 50);
  http.get(new URL(`customers/${id}`, BASE).toString(), { tags: { name: 'customers/:id' } });
}
