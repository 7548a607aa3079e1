/**
 * drizzle-orm mirror of the dbmate migrations in db/migrations (the migrations own the schema;
 * test/unit/schema-drift.test.ts fails when this file and the migrated database disagree).
 */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const timestamptz = <Name extends string>(name: Name) => timestamp(name, { withTimezone: true, mode: 'string' });
const shopifyId = <Name extends string>(name: Name) => bigint(name, { mode: 'number' });
const money = (name: string, precision: 12 | 14) => numeric(name, { precision, scale: 2 });

export const ROLE_NAMES = ['master', 'admin', 'staff', 'viewer'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];
export const PRODUCT_STATUSES = ['active', 'archived', 'draft'] as const;
export const MEDIA_KINDS = ['image', 'video', 'ad_creative', 'document'] as const;
export const DENOTATION_ROLES = ['featured', 'gallery', 'ad', 'lifestyle'] as const;
export const SOURCE_SYSTEMS = ['shopify', 'manual'] as const;
export const CLASSIFICATION_CODES = ['A', 'B', 'C', 'NEW', 'DORMANT'] as const;
export type ClassificationCode = (typeof CLASSIFICATION_CODES)[number];
export const EXECUTION_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const PARITY_VERDICTS = ['pass', 'fail', 'error'] as const;

export const person = pgTable(
  'person',
  {
    personId: uuid('person_id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    fullName: text('full_name'),
    roleName: text('role_name', { enum: ROLE_NAMES }).notNull().default('viewer'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('person_email_key').on(t.email),
    check('person_email_check', sql`email = lower(btrim(email)) and email like '%_@_%'`),
    check('person_role_name_check', sql`role_name in ('master', 'admin', 'staff', 'viewer')`),
  ],
);

export const configurationSetting = pgTable('configuration_setting', {
  settingKey: text('setting_key').primaryKey(),
  settingValue: jsonb('setting_value').notNull(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

export const materialArtifact = pgTable(
  'material_artifact',
  {
    materialArtifactId: shopifyId('material_artifact_id').primaryKey(),
    title: text('title').notNull(),
    handle: text('handle').notNull(),
    vendor: text('vendor'),
    productType: text('product_type'),
    status: text('status', { enum: PRODUCT_STATUSES }).notNull(),
    shopifyTagNames: text('shopify_tag_names').array().notNull().default(sql`'{}'`),
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
    publishedAt: timestamptz('published_at'),
    deletedAt: timestamptz('deleted_at'),
    syncedAt: timestamptz('synced_at').notNull().defaultNow(),
  },
  (t) => [
    index('material_artifact_updated_at_idx').on(t.updatedAt.desc()),
    check('material_artifact_status_check', sql`status in ('active', 'archived', 'draft')`),
  ],
);

export const materialArtifactVariant = pgTable(
  'material_artifact_variant',
  {
    materialArtifactVariantId: shopifyId('material_artifact_variant_id').primaryKey(),
    materialArtifactId: shopifyId('material_artifact_id')
      .notNull()
      .references(() => materialArtifact.materialArtifactId, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    sku: text('sku'),
    priceMeasurementValue: money('price_measurement_value', 12).notNull(),
    compareAtPriceMeasurementValue: money('compare_at_price_measurement_value', 12),
    inventoryCount: integer('inventory_count'),
    createdAt: timestamptz('created_at'),
    updatedAt: timestamptz('updated_at'),
  },
  (t) => [index('material_artifact_variant_material_artifact_id_idx').on(t.materialArtifactId)],
);

export const actOfSale = pgTable(
  'act_of_sale',
  {
    actOfSaleId: shopifyId('act_of_sale_id').primaryKey(),
    orderName: text('order_name').notNull(),
    processedAt: timestamptz('processed_at').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
    cancelledAt: timestamptz('cancelled_at'),
    currencyCode: text('currency_code').notNull(),
    financialStatus: text('financial_status'),
    fulfillmentStatus: text('fulfillment_status'),
    subtotalPriceMeasurementValue: money('subtotal_price_measurement_value', 14).notNull(),
    totalDiscountsMeasurementValue: money('total_discounts_measurement_value', 14).notNull().default(sql`0`),
    totalTaxMeasurementValue: money('total_tax_measurement_value', 14).notNull().default(sql`0`),
    totalPriceMeasurementValue: money('total_price_measurement_value', 14).notNull(),
    isTest: boolean('is_test').notNull().default(false),
    syncedAt: timestamptz('synced_at').notNull().defaultNow(),
  },
  (t) => [index('act_of_sale_processed_at_idx').on(t.processedAt)],
);

export const actOfSaleLine = pgTable(
  'act_of_sale_line',
  {
    actOfSaleLineId: shopifyId('act_of_sale_line_id').primaryKey(),
    actOfSaleId: shopifyId('act_of_sale_id')
      .notNull()
      .references(() => actOfSale.actOfSaleId, { onDelete: 'cascade' }),
    materialArtifactId: shopifyId('material_artifact_id'),
    materialArtifactVariantId: shopifyId('material_artifact_variant_id'),
    title: text('title').notNull(),
    sku: text('sku'),
    quantityCount: integer('quantity_count').notNull(),
    unitPriceMeasurementValue: money('unit_price_measurement_value', 12).notNull(),
    totalDiscountMeasurementValue: money('total_discount_measurement_value', 14).notNull().default(sql`0`),
  },
  (t) => [
    index('act_of_sale_line_act_of_sale_id_idx').on(t.actOfSaleId),
    index('act_of_sale_line_material_artifact_id_idx').on(t.materialArtifactId),
  ],
);

export const actOfRefund = pgTable(
  'act_of_refund',
  {
    actOfRefundId: shopifyId('act_of_refund_id').primaryKey(),
    actOfSaleId: shopifyId('act_of_sale_id')
      .notNull()
      .references(() => actOfSale.actOfSaleId, { onDelete: 'cascade' }),
    createdAt: timestamptz('created_at').notNull(),
  },
  (t) => [
    index('act_of_refund_act_of_sale_id_idx').on(t.actOfSaleId),
    // the incremental mart refresh finds a day's refunds by time
    index('act_of_refund_created_at_idx').on(t.createdAt),
  ],
);

export const actOfRefundLine = pgTable(
  'act_of_refund_line',
  {
    actOfRefundLineId: shopifyId('act_of_refund_line_id').primaryKey(),
    actOfRefundId: shopifyId('act_of_refund_id')
      .notNull()
      .references(() => actOfRefund.actOfRefundId, { onDelete: 'cascade' }),
    actOfSaleLineId: shopifyId('act_of_sale_line_id')
      .notNull()
      .references(() => actOfSaleLine.actOfSaleLineId, { onDelete: 'cascade' }),
    quantityCount: integer('quantity_count').notNull(),
    subtotalMeasurementValue: money('subtotal_measurement_value', 14).notNull(),
  },
  (t) => [
    index('act_of_refund_line_act_of_refund_id_idx').on(t.actOfRefundId),
    index('act_of_refund_line_act_of_sale_line_id_idx').on(t.actOfSaleLineId),
  ],
);

export const mediaContentEntity = pgTable(
  'media_content_entity',
  {
    mediaContentEntityId: uuid('media_content_entity_id').primaryKey().defaultRandom(),
    mediaKind: text('media_kind', { enum: MEDIA_KINDS }).notNull(),
    url: text('url').notNull(),
    altText: text('alt_text'),
    shopifyImageId: shopifyId('shopify_image_id'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('media_content_entity_shopify_image_id_key').on(t.shopifyImageId),
    check('media_content_entity_media_kind_check', sql`media_kind in ('image', 'video', 'ad_creative', 'document')`),
  ],
);

export const denotationRelation = pgTable(
  'denotation_relation',
  {
    denotationRelationId: uuid('denotation_relation_id').primaryKey().defaultRandom(),
    materialArtifactId: shopifyId('material_artifact_id')
      .notNull()
      .references(() => materialArtifact.materialArtifactId, { onDelete: 'cascade' }),
    mediaContentEntityId: uuid('media_content_entity_id')
      .notNull()
      .references(() => mediaContentEntity.mediaContentEntityId, { onDelete: 'cascade' }),
    roleName: text('role_name', { enum: DENOTATION_ROLES }).notNull().default('gallery'),
    displayPosition: integer('display_position').notNull().default(0),
    sourceSystem: text('source_system', { enum: SOURCE_SYSTEMS }).notNull().default('shopify'),
    createdByPersonId: uuid('created_by_person_id').references(() => person.personId, { onDelete: 'set null' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('denotation_relation_artifact_media_key').on(t.materialArtifactId, t.mediaContentEntityId),
    index('denotation_relation_media_content_entity_id_idx').on(t.mediaContentEntityId),
    index('denotation_relation_created_by_person_id_idx').on(t.createdByPersonId),
    check('denotation_relation_role_name_check', sql`role_name in ('featured', 'gallery', 'ad', 'lifestyle')`),
    check('denotation_relation_source_system_check', sql`source_system in ('shopify', 'manual')`),
  ],
);

export const tagDesignation = pgTable(
  'tag_designation',
  {
    tagDesignationId: uuid('tag_designation_id').primaryKey().defaultRandom(),
    tagName: text('tag_name').notNull(),
    categoryName: text('category_name'),
    colorCode: text('color_code'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('tag_designation_tag_name_key').on(t.tagName),
    check('tag_designation_tag_name_check', sql`tag_name = lower(btrim(tag_name)) and tag_name <> ''`),
    check('tag_designation_color_code_check', sql`color_code ~ '^#[0-9a-fA-F]{6}$'`),
  ],
);

export const tagContentEntity = pgTable(
  'tag_content_entity',
  {
    tagContentEntityId: uuid('tag_content_entity_id').primaryKey().defaultRandom(),
    materialArtifactId: shopifyId('material_artifact_id')
      .notNull()
      .references(() => materialArtifact.materialArtifactId, { onDelete: 'cascade' }),
    tagDesignationId: uuid('tag_designation_id')
      .notNull()
      .references(() => tagDesignation.tagDesignationId, { onDelete: 'cascade' }),
    sourceSystem: text('source_system', { enum: SOURCE_SYSTEMS }).notNull(),
    createdByPersonId: uuid('created_by_person_id').references(() => person.personId, { onDelete: 'set null' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('tag_content_entity_artifact_tag_key').on(t.materialArtifactId, t.tagDesignationId),
    index('tag_content_entity_tag_designation_id_idx').on(t.tagDesignationId),
    index('tag_content_entity_created_by_person_id_idx').on(t.createdByPersonId),
    check('tag_content_entity_source_system_check', sql`source_system in ('shopify', 'manual')`),
  ],
);

export const nominalClassification = pgTable(
  'nominal_classification',
  {
    materialArtifactId: shopifyId('material_artifact_id')
      .primaryKey()
      .references(() => materialArtifact.materialArtifactId, { onDelete: 'cascade' }),
    classificationCode: text('classification_code', { enum: CLASSIFICATION_CODES }).notNull(),
    isManual: boolean('is_manual').notNull().default(false),
    noteText: text('note_text'),
    computedAt: timestamptz('computed_at').notNull().defaultNow(),
  },
  () => [
    check(
      'nominal_classification_classification_code_check',
      sql`classification_code in ('A', 'B', 'C', 'NEW', 'DORMANT')`,
    ),
  ],
);

export const performanceMeasurementDataset = pgTable(
  'performance_measurement_dataset',
  {
    materialArtifactId: shopifyId('material_artifact_id').notNull(),
    measurementDate: date('measurement_date', { mode: 'string' }).notNull(),
    ordersCount: integer('orders_count').notNull(),
    unitsSoldCount: integer('units_sold_count').notNull(),
    unitsRefundedCount: integer('units_refunded_count').notNull(),
    grossSalesMeasurementValue: money('gross_sales_measurement_value', 14).notNull(),
    discountsMeasurementValue: money('discounts_measurement_value', 14).notNull(),
    refundsMeasurementValue: money('refunds_measurement_value', 14).notNull(),
    aggregateMeasurementValue: money('aggregate_measurement_value', 14).notNull(),
  },
  (t) => [
    primaryKey({ name: 'performance_measurement_dataset_pkey', columns: [t.materialArtifactId, t.measurementDate] }),
    // covering: the dashboard's top products is an index-only scan of a date window
    index('performance_measurement_dataset_date_artifact_measures_idx').on(
      t.measurementDate,
      t.materialArtifactId,
      t.aggregateMeasurementValue,
      t.unitsSoldCount,
      t.ordersCount,
    ),
  ],
);

export const procedureExecution = pgTable(
  'procedure_execution',
  {
    procedureExecutionId: uuid('procedure_execution_id').primaryKey().defaultRandom(),
    procedureKind: text('procedure_kind').notNull(),
    status: text('status', { enum: EXECUTION_STATUSES }).notNull().default('queued'),
    concurrencyKey: text('concurrency_key'),
    parentProcedureExecutionId: uuid('parent_procedure_execution_id').references(
      (): AnyPgColumn => procedureExecution.procedureExecutionId,
      { onDelete: 'set null' },
    ),
    triggerSource: text('trigger_source').notNull().default('system'),
    parameters: jsonb('parameters').notNull().default(sql`'{}'`),
    checkpointState: jsonb('checkpoint_state').notNull().default(sql`'{}'`),
    attemptCount: integer('attempt_count').notNull().default(0),
    rowsProcessedCount: integer('rows_processed_count').notNull().default(0),
    errorText: text('error_text'),
    stepCount: integer('step_count').notNull().default(0),
    requestedAt: timestamptz('requested_at').notNull().defaultNow(),
    startedAt: timestamptz('started_at'),
    heartbeatAt: timestamptz('heartbeat_at'),
    finishedAt: timestamptz('finished_at'),
    // liveness (workers/shared/procedures/watchdog.ts)
    wakeUpAt: timestamptz('wake_up_at'),
    watchdogResendCount: integer('watchdog_resend_count').notNull().default(0),
    stallReasonText: text('stall_reason_text'),
    deadLetteredAt: timestamptz('dead_lettered_at'),
  },
  (t) => [
    index('procedure_execution_requested_at_idx').on(t.requestedAt.desc()),
    index('procedure_execution_kind_status_idx').on(t.procedureKind, t.status),
    index('procedure_execution_parent_idx').on(t.parentProcedureExecutionId),
    uniqueIndex('procedure_execution_one_active_per_concurrency_key')
      .on(t.concurrencyKey)
      .where(sql`status in ('queued', 'running', 'waiting') and concurrency_key is not null`),
    // /health (workers/shared/health.ts): failure rate, backlog, last success per kind
    index('procedure_execution_finished_at_idx').on(t.finishedAt).where(sql`finished_at is not null`),
    index('procedure_execution_active_requested_at_idx')
      .on(t.requestedAt)
      .where(sql`status in ('queued', 'running', 'waiting')`),
    index('procedure_execution_succeeded_kind_idx').on(t.procedureKind, t.finishedAt).where(sql`status = 'succeeded'`),
    check('procedure_execution_status_check', sql`status in ('queued', 'running', 'waiting', 'succeeded', 'failed')`),
    check('procedure_execution_finished_check', sql`(status in ('succeeded', 'failed')) = (finished_at is not null)`),
  ],
);

export const informationBearingEntity = pgTable(
  'information_bearing_entity',
  {
    informationBearingEntityId: uuid('information_bearing_entity_id').primaryKey().defaultRandom(),
    objectKey: text('object_key').notNull(),
    sourceSystem: text('source_system').notNull().default('shopify'),
    resourceName: text('resource_name').notNull(),
    byteCount: bigint('byte_count', { mode: 'number' }).notNull(),
    lineCount: bigint('line_count', { mode: 'number' }).notNull(),
    sha256Digest: text('sha256_digest').notNull(),
    procedureExecutionId: uuid('procedure_execution_id').references(() => procedureExecution.procedureExecutionId, {
      onDelete: 'set null',
    }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    storedByteCount: bigint('stored_byte_count', { mode: 'number' }).notNull().default(0),
    segmentIndex: jsonb('segment_index').notNull().default(sql`'[]'`),
  },
  (t) => [
    unique('information_bearing_entity_object_key_key').on(t.objectKey),
    index('information_bearing_entity_created_at_idx').on(t.createdAt),
    index('information_bearing_entity_procedure_execution_id_idx').on(t.procedureExecutionId),
    check('information_bearing_entity_sha256_digest_check', sql`sha256_digest ~ '^[0-9a-f]{64}$'`),
    check('information_bearing_entity_counts_check', sql`byte_count >= 0 and line_count >= 0`),
  ],
);

export const parityCheckExecution = pgTable(
  'parity_check_execution',
  {
    parityCheckExecutionId: uuid('parity_check_execution_id').primaryKey().defaultRandom(),
    procedureExecutionId: uuid('procedure_execution_id').references(() => procedureExecution.procedureExecutionId, {
      onDelete: 'set null',
    }),
    verdict: text('verdict', { enum: PARITY_VERDICTS }).notNull(),
    windowFromDate: date('window_from_date', { mode: 'string' }).notNull(),
    windowToDate: date('window_to_date', { mode: 'string' }).notNull(),
    watermarkAt: timestamptz('watermark_at'),
    checkResults: jsonb('check_results').notNull().default(sql`'[]'`),
    startedAt: timestamptz('started_at').notNull().defaultNow(),
    finishedAt: timestamptz('finished_at'),
    // db/migrations/20261122005000_add_parity_check_execution_context.sql
    throughDate: date('through_date', { mode: 'string' }),
    legacySyncedAt: timestamptz('legacy_synced_at'),
    newSyncedAt: timestamptz('new_synced_at'),
    errorText: text('error_text'),
  },
  (t) => [
    index('parity_check_execution_started_at_idx').on(t.startedAt.desc()),
    index('parity_check_execution_procedure_execution_id_idx').on(t.procedureExecutionId),
    check('parity_check_execution_verdict_check', sql`verdict in ('pass', 'fail', 'error')`),
    check('parity_check_execution_window_check', sql`window_from_date <= window_to_date`),
  ],
);

export const DATA_MIGRATION_STATUSES = ['copying', 'completed'] as const;

/** Progress of the one-time legacy data migration (scripts/migrate-legacy), one row per legacy table. */
export const dataMigrationCheckpoint = pgTable(
  'data_migration_checkpoint',
  {
    legacyTableName: text('legacy_table_name').primaryKey(),
    newTableName: text('new_table_name').notNull(),
    status: text('status', { enum: DATA_MIGRATION_STATUSES }).notNull().default('copying'),
    lastLegacyKey: text('last_legacy_key').array(),
    rowsCopiedCount: bigint('rows_copied_count', { mode: 'number' }).notNull().default(0),
    batchCount: bigint('batch_count', { mode: 'number' }).notNull().default(0),
    startedAt: timestamptz('started_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    completedAt: timestamptz('completed_at'),
  },
  () => [
    check('data_migration_checkpoint_status_check', sql`status in ('copying', 'completed')`),
    check('data_migration_checkpoint_completed_check', sql`(status = 'completed') = (completed_at is not null)`),
  ],
);

// ---------------------------------------------------------------- ingest (db/migrations/20261122001000_*)

export const ingestStagedObject = pgTable(
  'ingest_staged_object',
  {
    loadKey: uuid('load_key').notNull(),
    lineNumber: bigint('line_number', { mode: 'number' }).notNull(),
    resourceName: text('resource_name').notNull(),
    objectType: text('object_type').notNull(),
    objectId: shopifyId('object_id').notNull(),
    parentObjectId: shopifyId('parent_object_id'),
    payload: jsonb('payload').notNull(),
    stagedAt: timestamptz('staged_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'ingest_staged_object_pkey', columns: [t.loadKey, t.lineNumber] }),
    index('ingest_staged_object_object_idx').on(t.loadKey, t.objectType, t.objectId),
    index('ingest_staged_object_parent_idx').on(t.loadKey, t.parentObjectId),
  ],
);

export const quarantinedLine = pgTable(
  'quarantined_line',
  {
    quarantinedLineId: uuid('quarantined_line_id').primaryKey().defaultRandom(),
    loadKey: uuid('load_key').notNull(),
    procedureExecutionId: uuid('procedure_execution_id').references(() => procedureExecution.procedureExecutionId, {
      onDelete: 'set null',
    }),
    informationBearingEntityId: uuid('information_bearing_entity_id').references(
      () => informationBearingEntity.informationBearingEntityId,
      { onDelete: 'set null' },
    ),
    resourceName: text('resource_name').notNull(),
    lineNumber: bigint('line_number', { mode: 'number' }).notNull(),
    reasonText: text('reason_text').notNull(),
    lineExcerpt: text('line_excerpt'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('quarantined_line_load_line_key').on(t.loadKey, t.lineNumber),
    index('quarantined_line_procedure_execution_id_idx').on(t.procedureExecutionId),
    index('quarantined_line_information_bearing_entity_id_idx').on(t.informationBearingEntityId),
    index('quarantined_line_created_at_idx').on(t.createdAt),
  ],
);

export const syncCursor = pgTable(
  'sync_cursor',
  {
    resourceName: text('resource_name').primaryKey(),
    windowEndAt: timestamptz('window_end_at').notNull(),
    procedureExecutionId: uuid('procedure_execution_id').references(() => procedureExecution.procedureExecutionId, {
      onDelete: 'set null',
    }),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('sync_cursor_procedure_execution_id_idx').on(t.procedureExecutionId)],
);

export const webhookReceipt = pgTable(
  'webhook_receipt',
  {
    webhookId: text('webhook_id').primaryKey(),
    topicName: text('topic_name').notNull(),
    shopDomain: text('shop_domain'),
    payload: jsonb('payload').notNull(),
    procedureExecutionId: uuid('procedure_execution_id').references(() => procedureExecution.procedureExecutionId, {
      onDelete: 'set null',
    }),
    receivedAt: timestamptz('received_at').notNull().defaultNow(),
  },
  (t) => [
    index('webhook_receipt_received_at_idx').on(t.receivedAt),
    index('webhook_receipt_procedure_execution_id_idx').on(t.procedureExecutionId),
  ],
);

/** Keys (product, shop-local day) a load touched, consumed by the incremental mart refresh. */
export const performanceMeasurementRefreshKey = pgTable('performance_measurement_refresh_key', {
  performanceMeasurementRefreshKeyId: bigint('performance_measurement_refresh_key_id', { mode: 'number' })
    .primaryKey()
    .generatedAlwaysAsIdentity(),
  materialArtifactId: shopifyId('material_artifact_id'),
  measurementDate: date('measurement_date', { mode: 'string' }).notNull(),
  recordedAt: timestamptz('recorded_at').notNull().defaultNow(),
});

/** Per shop-local day: the dataset summed over products, and the day's orders. */
export const performanceMeasurementDailyTotal = pgTable('performance_measurement_daily_total', {
  measurementDate: date('measurement_date', { mode: 'string' }).primaryKey(),
  ordersCount: bigint('orders_count', { mode: 'number' }).notNull(),
  unitsSoldCount: bigint('units_sold_count', { mode: 'number' }).notNull(),
  grossSalesMeasurementValue: numeric('gross_sales_measurement_value').notNull(),
  discountsMeasurementValue: numeric('discounts_measurement_value').notNull(),
  refundsMeasurementValue: numeric('refunds_measurement_value').notNull(),
  aggregateMeasurementValue: numeric('aggregate_measurement_value').notNull(),
});

/** The timezone the dataset was last fully built in (one row). */
export const performanceMeasurementRefreshState = pgTable(
  'performance_measurement_refresh_state',
  {
    singleton: boolean('singleton').primaryKey().default(true),
    shopTimezone: text('shop_timezone').notNull(),
    fullRefreshAt: timestamptz('full_refresh_at').notNull(),
    incrementalRefreshAt: timestamptz('incremental_refresh_at'),
  },
  () => [check('performance_measurement_refresh_state_singleton_check', sql`singleton`)],
);

// ---------------------------------------------------------------- audit (db/migrations/20261207021800_*)

/**
 * The audit trail of staff and admin writes (workers/shared/audit/staff-action.ts). Append-only:
 * a trigger refuses updates, deletes and truncates (not mirrored here: drizzle has no triggers).
 */
export const staffAction = pgTable(
  'staff_action',
  {
    staffActionId: uuid('staff_action_id').primaryKey().defaultRandom(),
    performedAt: timestamptz('performed_at').notNull().defaultNow(),
    actorPersonId: uuid('actor_person_id'),
    actorDescription: text('actor_description').notNull(),
    actionKind: text('action_kind').notNull(),
    targetKind: text('target_kind').notNull(),
    targetId: text('target_id').notNull(),
    beforeState: jsonb('before_state'),
    afterState: jsonb('after_state'),
    requestId: text('request_id'),
  },
  (t) => [
    index('staff_action_performed_at_idx').on(t.performedAt.desc(), t.staffActionId.desc()),
    index('staff_action_actor_person_id_idx').on(t.actorPersonId, t.performedAt.desc()),
    index('staff_action_target_idx').on(t.targetId, t.performedAt.desc()),
  ],
);
