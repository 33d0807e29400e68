/** The workflows of the benchmark's variant worker (bench/variants/worker.ts). */
export { sendMessage } from './send-message-local-activities';
